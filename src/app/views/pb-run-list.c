/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-run-list"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-format.h"
#include "pb-run-item.h"
#include "pb-run-list.h"
#include "pb-style.h"

struct _PbRunList
{
  GtkWidget parent_instance;

  GListStore *store;

  GtkStack *stack;
  GtkListBox *list_box;
};

G_DEFINE_TYPE (PbRunList, pb_run_list, GTK_TYPE_WIDGET)

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        data)
{
  PbRunItem *item = data;
  GdkRGBA color;

  pb_run_color (GTK_WIDGET (area), pb_run_item_get_color_index (item), &color);
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_arc (cr, width / 2.0, height / 2.0, MIN (width, height) / 2.0 - 1, 0, 2 * G_PI);
  cairo_fill (cr);
}

static char *
describe (PbRunItem *item)
{
  guint ne;
  const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
  g_autofree char *epochs = pb_run_item_format_epoch_progress (item);
  g_autofree char *params = pb_format_count (pb_run_item_get_param_count (item));
  g_autofree char *error = ne > 0 ? g_strdup_printf (_("test error %.1f\u00a0%%"),
                                                     100 * er[ne - 1].test_error)
                                  : g_strdup (_("no test error yet"));

  if (pb_run_item_get_loaded_evaluation (item) != NULL)
    /* Translators: a run opened from a weights file, evaluated on freshly drawn test pairs */
    return g_strdup_printf (_("Loaded from file · test error %.1f\u00a0%% · %s parameters"),
                            100 * pb_run_item_get_loaded_evaluation (item)->error, params);

  /* The epochs as the status line counts them (pb_run_item_format_epoch_progress). */
  switch (pb_run_item_get_status (item))
    {
    case PB_RUN_STATUS_RUNNING:
      if (pb_run_item_get_paused (item))
        /* Translators: "Paused · epoch 5 of 25 in progress · test error 18.2 %" */
        return g_strdup_printf (_("Paused · %s · %s"), epochs, error);
      /* Translators: "Training · epoch 5 of 25 in progress · test error 18.2 %" */
      return g_strdup_printf (_("Training · %s · %s"), epochs, error);
    case PB_RUN_STATUS_FINISHED:
      /* Translators: "Finished · 25 of 25 epochs done · test error 3.1 % · 71 076 parameters" */
      return g_strdup_printf (_("Finished · %s · %s · %s parameters"), epochs, error, params);
    case PB_RUN_STATUS_CANCELLED:
      /* Translators: "Stopped · 4 of 25 epochs done · test error 18.2 %" */
      return g_strdup_printf (_("Stopped · %s · %s"), epochs, error);
    case PB_RUN_STATUS_FAILED:
      return g_strdup_printf (_("Failed · %s"), pb_run_item_get_message (item)
                                                  ? pb_run_item_get_message (item) : "");
    case PB_RUN_STATUS_PENDING:
    default:
      return g_strdup (_("Starting…"));
    }
}

static void
update_subtitle (PbRunItem *item,
                 GParamSpec *pspec,
                 GtkLabel  *label)
{
  g_autofree char *text = describe (item);

  gtk_label_set_label (label, text);
}

static gboolean
on_modified_query_tooltip (GtkWidget  *badge,
                           int         x,
                           int         y,
                           gboolean    keyboard,
                           GtkTooltip *tooltip,
                           PbRunItem  *item)
{
  g_autofree char *changes = pb_run_item_describe_lr_changes (item);
  g_autofree char *text = NULL;

  if (changes == NULL)
    return FALSE;
  text = g_strdup_printf (_("The learning rate was changed while it trained:\n%s"), changes);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* The "modified" mark: a run whose learning rate was changed while it trained. */
static void
update_modified (PbRunItem *item,
                 GtkLabel  *label)
{
  guint n;
  g_autofree char *text = NULL;

  pb_run_item_get_lr_changes (item, &n);
  gtk_widget_set_visible (GTK_WIDGET (label), n > 0);
  if (n == 0)
    return;
  text = g_strdup_printf (ngettext ("Modified: learning rate changed once",
                                    "Modified: learning rate changed %u times", n), n);
  gtk_label_set_label (label, text);
}

static void
on_delete_clicked (GtkButton *button,
                   PbRunList *self)
{
  PbRunItem *item = g_object_get_data (G_OBJECT (button), "item");
  guint pos;

  if (pb_run_item_get_status (item) == PB_RUN_STATUS_RUNNING)
    return;
  if (g_list_store_find (self->store, item, &pos))
    g_list_store_remove (self->store, pos);
}

static void
update_delete_sensitive (PbRunItem  *item,
                         GParamSpec *pspec,
                         GtkWidget  *button)
{
  gtk_widget_set_sensitive (button, pb_run_item_get_status (item) != PB_RUN_STATUS_RUNNING);
}

static GtkWidget *
create_row (gpointer object,
            gpointer user_data)
{
  PbRunList *self = user_data;
  PbRunItem *item = object;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *swatch = gtk_drawing_area_new ();
  GtkWidget *check = gtk_check_button_new ();
  GtkWidget *name = gtk_editable_label_new (pb_run_item_get_label (item));
  GtkWidget *modified = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);
  GtkWidget *delete = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *check_name = NULL;

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  g_object_bind_property (item, "shown", check, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  check_name = g_strdup_printf (_("Show %s"), pb_run_item_get_label (item));
  gtk_widget_set_tooltip_text (check, _("Show in the plots"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  check_name, -1);
  gtk_box_append (GTK_BOX (box), check);

  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 12);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 12);
  gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch,
                                  g_object_ref (item), g_object_unref);
  gtk_box_append (GTK_BOX (box), swatch);

  gtk_widget_set_hexpand (texts, TRUE);
  g_object_bind_property (item, "label", name, "text",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_widget_set_tooltip_text (name, _("Click to rename"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (name), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Run name"), -1);
  gtk_editable_set_width_chars (GTK_EDITABLE (name), 12);
  gtk_box_append (GTK_BOX (texts), name);

  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_wrap (GTK_LABEL (subtitle), TRUE);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  update_subtitle (item, NULL, GTK_LABEL (subtitle));
  g_signal_connect_object (item, "notify::status", G_CALLBACK (update_subtitle), subtitle, 0);
  g_signal_connect_object (item, "notify::n-epochs", G_CALLBACK (update_subtitle), subtitle, 0);
  g_signal_connect_object (item, "notify::paused", G_CALLBACK (update_subtitle), subtitle, 0);
  gtk_box_append (GTK_BOX (texts), subtitle);

  gtk_label_set_xalign (GTK_LABEL (modified), 0);
  gtk_label_set_wrap (GTK_LABEL (modified), TRUE);
  gtk_widget_add_css_class (modified, "caption-heading");
  gtk_widget_add_css_class (modified, "warning");
  gtk_widget_set_has_tooltip (modified, TRUE);
  g_signal_connect_object (modified, "query-tooltip", G_CALLBACK (on_modified_query_tooltip),
                           item, 0);
  update_modified (item, GTK_LABEL (modified));
  g_signal_connect_object (item, "changed", G_CALLBACK (update_modified), modified, 0);
  gtk_box_append (GTK_BOX (texts), modified);
  gtk_box_append (GTK_BOX (box), texts);

  gtk_widget_set_valign (delete, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (delete, "flat");
  gtk_widget_set_tooltip_text (delete, _("Delete Run"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (delete), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Delete run"), -1);
  g_object_set_data_full (G_OBJECT (delete), "item", g_object_ref (item), g_object_unref);
  g_signal_connect (delete, "clicked", G_CALLBACK (on_delete_clicked), self);
  update_delete_sensitive (item, NULL, delete);
  g_signal_connect_object (item, "notify::status", G_CALLBACK (update_delete_sensitive),
                           delete, 0);
  gtk_box_append (GTK_BOX (box), delete);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

static void
update_page (PbRunList *self)
{
  gboolean empty = self->store == NULL ||
                   g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "list");
}

static void
pb_run_list_dispose (GObject *object)
{
  PbRunList *self = PB_RUN_LIST (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_RUN_LIST);
  /* Template children without an id are not unparented by dispose_template in GTK 4.8. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (pb_run_list_parent_class)->dispose (object);
}

static void
pb_run_list_class_init (PbRunListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_run_list_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-run-list.ui");
  gtk_widget_class_bind_template_child (widget_class, PbRunList, stack);
  gtk_widget_class_bind_template_child (widget_class, PbRunList, list_box);
  gtk_widget_class_set_css_name (widget_class, "runlist");
}

static void
pb_run_list_init (PbRunList *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_page (self);
}

GtkWidget *
pb_run_list_new (void)
{
  return g_object_new (PB_TYPE_RUN_LIST, NULL);
}

void
pb_run_list_set_model (PbRunList  *self,
                       GListStore *store)
{
  g_return_if_fail (PB_IS_RUN_LIST (self));

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_set_object (&self->store, store);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (store), create_row, self, NULL);
  if (store != NULL)
    g_signal_connect_swapped (store, "items-changed", G_CALLBACK (update_page), self);
  update_page (self);
}
