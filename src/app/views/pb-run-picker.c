/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-run-picker"

#include "config.h"

#include <string.h>

#include "pb-run-picker.h"

typedef enum
{
  PICK_NOTHING,
  PICK_NONE,
  PICK_RUN,
  PICK_EXTRA,
} PickKind;

struct _PbRunPicker
{
  GtkWidget parent_instance;

  GtkDropDown *dropdown;
  GtkStringList *names;
  GListModel *runs;
  GPtrArray *offered;        /* PbRunItem, in the entries' order */
  GPtrArray *extra_labels;   /* char * */
  GArray *extra_ids;         /* guint */
  char *none_label;
  char *format;
  PbRunPickerFilter filter;
  gpointer filter_data;
  gboolean updating;
  /* The pick is the newest offered run, so a newer one takes it over; a pick of an older run
   * is the user's choice and stays. */
  gboolean follows_latest;

  PickKind kind;
  PbRunItem *run;            /* PICK_RUN */
  guint extra;               /* PICK_EXTRA: the id */
};

G_DEFINE_TYPE (PbRunPicker, pb_run_picker, GTK_TYPE_WIDGET)

enum {
  CHANGED,
  ENTRIES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static guint
first_run_entry (PbRunPicker *self)
{
  return self->none_label != NULL ? 1 : 0;
}

/* The entry of the current pick, or GTK_INVALID_LIST_POSITION. */
static guint
pick_position (PbRunPicker *self)
{
  switch (self->kind)
    {
    case PICK_NONE:
      return self->none_label != NULL ? 0 : GTK_INVALID_LIST_POSITION;
    case PICK_RUN:
      for (guint i = 0; i < self->offered->len; i++)
        if (g_ptr_array_index (self->offered, i) == self->run)
          return first_run_entry (self) + i;
      return GTK_INVALID_LIST_POSITION;
    case PICK_EXTRA:
      for (guint i = 0; i < self->extra_ids->len; i++)
        if (g_array_index (self->extra_ids, guint, i) == self->extra)
          return first_run_entry (self) + self->offered->len + i;
      return GTK_INVALID_LIST_POSITION;
    case PICK_NOTHING:
    default:
      return GTK_INVALID_LIST_POSITION;
    }
}

static gboolean
picks_latest (PbRunPicker *self)
{
  return self->kind == PICK_RUN && self->offered->len > 0 &&
         self->run == g_ptr_array_index (self->offered, self->offered->len - 1);
}

/* Makes entry pos the pick; returns whether that changed it. */
static gboolean
pick_entry (PbRunPicker *self,
            guint        pos)
{
  PickKind kind = PICK_NOTHING;
  PbRunItem *run = NULL;
  guint extra = 0, first = first_run_entry (self);
  gboolean changed;

  if (pos == GTK_INVALID_LIST_POSITION)
    kind = PICK_NOTHING;
  else if (pos < first)
    kind = PICK_NONE;
  else if (pos - first < self->offered->len)
    {
      kind = PICK_RUN;
      run = g_ptr_array_index (self->offered, pos - first);
    }
  else if (pos - first - self->offered->len < self->extra_ids->len)
    {
      kind = PICK_EXTRA;
      extra = g_array_index (self->extra_ids, guint, pos - first - self->offered->len);
    }

  changed = kind != self->kind || run != self->run || (kind == PICK_EXTRA && extra != self->extra);
  self->kind = kind;
  g_set_object (&self->run, run);
  self->extra = extra;
  self->follows_latest = picks_latest (self);
  return changed;
}

static void
select_position (PbRunPicker *self,
                 guint        pos)
{
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->dropdown, pos);
  self->updating = FALSE;
}

/* The format's "%s" replaced by label, without a non-literal printf format. */
static char *
format_label (const char *format,
              const char *label)
{
  const char *at = strstr (format, "%s");

  if (at == NULL)
    return g_strdup (format);
  return g_strdup_printf ("%.*s%s%s", (int) (at - format), format, label, at + 2);
}

static void
rebuild (PbRunPicker *self)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  guint n = self->runs != NULL ? g_list_model_get_n_items (self->runs) : 0;
  guint pos;
  gboolean changed;

  g_ptr_array_set_size (self->offered, 0);
  if (self->none_label != NULL)
    g_ptr_array_add (labels, g_strdup (self->none_label));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->runs, i);

      if (self->filter != NULL && !self->filter (item, self->filter_data))
        continue;
      g_ptr_array_add (self->offered, g_object_ref (item));
      g_ptr_array_add (labels, format_label (self->format, pb_run_item_get_label (item)));
    }
  for (guint i = 0; i < self->extra_labels->len; i++)
    g_ptr_array_add (labels, g_strdup (g_ptr_array_index (self->extra_labels, i)));
  g_ptr_array_add (labels, NULL);

  pos = pick_position (self);
  if (self->follows_latest && self->offered->len > 0)
    pos = first_run_entry (self) + self->offered->len - 1;
  else if (pos == GTK_INVALID_LIST_POSITION)
    {
      if (self->none_label != NULL)
        pos = 0;
      else if (self->offered->len > 0)
        pos = self->offered->len - 1;
      else if (self->extra_ids->len > 0)
        pos = 0;
    }

  self->updating = TRUE;
  gtk_string_list_splice (self->names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->names)),
                          (const char *const *) labels->pdata);
  self->updating = FALSE;
  select_position (self, pos);
  changed = pick_entry (self, pos);
  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
  g_signal_emit (self, signals[ENTRIES_CHANGED], 0);
}

static void
on_selected (PbRunPicker *self)
{
  if (self->updating)
    return;
  if (pick_entry (self, gtk_drop_down_get_selected (self->dropdown)))
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_item_notify (PbRunPicker *self)
{
  rebuild (self);
}

static void
on_runs_changed (PbRunPicker *self,
                 guint        position,
                 guint        removed,
                 guint        added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->runs, i);

      g_signal_connect_object (item, "notify::label", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::status", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
    }
  rebuild (self);
}

static gboolean
pb_run_picker_mnemonic_activate (GtkWidget *widget,
                                 gboolean   group_cycling)
{
  PbRunPicker *self = PB_RUN_PICKER (widget);
  GtkWidget *button = gtk_widget_get_first_child (GTK_WIDGET (self->dropdown));

  /* The drop-down's own button pops the list up, as a combo row's activation does. */
  if (button != NULL && !group_cycling)
    return gtk_widget_mnemonic_activate (button, FALSE);
  return gtk_widget_grab_focus (GTK_WIDGET (self->dropdown));
}

static gboolean
pb_run_picker_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (PB_RUN_PICKER (widget)->dropdown));
}

static void
pb_run_picker_dispose (GObject *object)
{
  PbRunPicker *self = PB_RUN_PICKER (object);

  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_clear_object (&self->runs);
  g_clear_object (&self->run);
  g_ptr_array_set_size (self->offered, 0);
  if (self->dropdown != NULL)
    {
      gtk_widget_unparent (GTK_WIDGET (self->dropdown));
      self->dropdown = NULL;
    }
  g_clear_object (&self->names);

  G_OBJECT_CLASS (pb_run_picker_parent_class)->dispose (object);
}

static void
pb_run_picker_finalize (GObject *object)
{
  PbRunPicker *self = PB_RUN_PICKER (object);

  g_ptr_array_unref (self->offered);
  g_ptr_array_unref (self->extra_labels);
  g_array_unref (self->extra_ids);
  g_free (self->none_label);
  g_free (self->format);

  G_OBJECT_CLASS (pb_run_picker_parent_class)->finalize (object);
}

static void
pb_run_picker_class_init (PbRunPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_run_picker_dispose;
  object_class->finalize = pb_run_picker_finalize;
  widget_class->mnemonic_activate = pb_run_picker_mnemonic_activate;
  widget_class->grab_focus = pb_run_picker_grab_focus;

  /* The pick changed, by the user or because the list of runs did. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The entries were rebuilt (after "changed" if the pick changed too). */
  signals[ENTRIES_CHANGED] = g_signal_new ("entries-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "runpicker");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
setup_label (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  ellipsize)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (GPOINTER_TO_INT (ellipsize))
    {
      /* Run labels are long; the button leaves room for its row's title. */
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 20);
      gtk_label_set_width_chars (GTK_LABEL (label), 10);
    }
  gtk_list_item_set_child (item, label);
}

static void
bind_label (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  ellipsize)
{
  GtkStringObject *string = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  const char *text = gtk_string_object_get_string (string);

  gtk_label_set_label (GTK_LABEL (label), text);
  if (GPOINTER_TO_INT (ellipsize))
    gtk_widget_set_tooltip_text (label, text);
}

static GtkListItemFactory *
label_factory (gboolean ellipsize)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_label), GINT_TO_POINTER (ellipsize));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_label), GINT_TO_POINTER (ellipsize));
  return factory;
}

static void
pb_run_picker_init (PbRunPicker *self)
{
  self->offered = g_ptr_array_new_with_free_func (g_object_unref);
  self->extra_labels = g_ptr_array_new_with_free_func (g_free);
  self->extra_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  self->format = g_strdup ("%s");
  self->names = gtk_string_list_new (NULL);
  self->dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->names)),
                                                     NULL));
  gtk_widget_set_parent (GTK_WIDGET (self->dropdown), GTK_WIDGET (self));
  {
    g_autoptr(GtkListItemFactory) button = label_factory (TRUE);
    g_autoptr(GtkListItemFactory) list = label_factory (FALSE);

    gtk_drop_down_set_factory (self->dropdown, button);
    gtk_drop_down_set_list_factory (self->dropdown, list);
  }
  g_signal_connect_swapped (self->dropdown, "notify::selected", G_CALLBACK (on_selected), self);
}

GtkWidget *
pb_run_picker_new (void)
{
  return g_object_new (PB_TYPE_RUN_PICKER, NULL);
}

void
pb_run_picker_set_runs (PbRunPicker *self,
                        GListModel  *runs)
{
  g_return_if_fail (PB_IS_RUN_PICKER (self));
  g_return_if_fail (runs == NULL || G_IS_LIST_MODEL (runs));

  if (self->runs == runs)
    return;
  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_set_object (&self->runs, runs);
  if (runs != NULL)
    {
      g_signal_connect_swapped (runs, "items-changed", G_CALLBACK (on_runs_changed), self);
      on_runs_changed (self, 0, 0, g_list_model_get_n_items (runs));
    }
  else
    rebuild (self);
}

void
pb_run_picker_set_filter (PbRunPicker       *self,
                          PbRunPickerFilter  filter,
                          gpointer           data)
{
  g_return_if_fail (PB_IS_RUN_PICKER (self));

  self->filter = filter;
  self->filter_data = data;
  rebuild (self);
}

void
pb_run_picker_set_none_label (PbRunPicker *self,
                              const char  *label)
{
  g_return_if_fail (PB_IS_RUN_PICKER (self));

  g_free (self->none_label);
  self->none_label = g_strdup (label);
  if (label != NULL && self->kind == PICK_NOTHING)
    self->kind = PICK_NONE;
  rebuild (self);
}

void
pb_run_picker_set_label_format (PbRunPicker *self,
                                const char  *format)
{
  g_return_if_fail (PB_IS_RUN_PICKER (self));
  g_return_if_fail (format != NULL);

  g_free (self->format);
  self->format = g_strdup (format);
  rebuild (self);
}

void
pb_run_picker_set_extras (PbRunPicker       *self,
                          const char *const *labels,
                          const guint       *ids,
                          guint              n)
{
  g_return_if_fail (PB_IS_RUN_PICKER (self));
  g_return_if_fail (n == 0 || (labels != NULL && ids != NULL));

  g_ptr_array_set_size (self->extra_labels, 0);
  g_array_set_size (self->extra_ids, 0);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (self->extra_labels, g_strdup (labels[i]));
  g_array_append_vals (self->extra_ids, ids, n);
  rebuild (self);
}

PbRunItem *
pb_run_picker_get_run (PbRunPicker *self)
{
  g_return_val_if_fail (PB_IS_RUN_PICKER (self), NULL);
  return self->kind == PICK_RUN ? self->run : NULL;
}

int
pb_run_picker_get_extra (PbRunPicker *self)
{
  g_return_val_if_fail (PB_IS_RUN_PICKER (self), -1);
  return self->kind == PICK_EXTRA ? (int) self->extra : -1;
}

gboolean
pb_run_picker_has_pick (PbRunPicker *self)
{
  g_return_val_if_fail (PB_IS_RUN_PICKER (self), FALSE);
  return self->kind != PICK_NOTHING;
}

void
pb_run_picker_set_run (PbRunPicker *self,
                       PbRunItem   *run)
{
  PickKind old_kind;
  PbRunItem *old_run;
  guint pos;

  g_return_if_fail (PB_IS_RUN_PICKER (self));
  g_return_if_fail (run == NULL || PB_IS_RUN_ITEM (run));

  old_kind = self->kind;
  old_run = self->run != NULL ? g_object_ref (self->run) : NULL;
  self->kind = run != NULL ? PICK_RUN : PICK_NONE;
  g_set_object (&self->run, run);
  pos = pick_position (self);
  if (pos == GTK_INVALID_LIST_POSITION)
    {
      /* Not offered: keep the pick as it was. */
      self->kind = old_kind;
      g_set_object (&self->run, old_run);
      pos = pick_position (self);
    }
  g_clear_object (&old_run);
  self->follows_latest = picks_latest (self);
  select_position (self, pos);
}

void
pb_run_picker_set_extra (PbRunPicker *self,
                         guint        id)
{
  guint pos;

  g_return_if_fail (PB_IS_RUN_PICKER (self));

  for (pos = 0; pos < self->extra_ids->len; pos++)
    if (g_array_index (self->extra_ids, guint, pos) == id)
      break;
  if (pos == self->extra_ids->len)
    return;
  pos += first_run_entry (self) + self->offered->len;
  pick_entry (self, pos);
  select_position (self, pos);
}

guint
pb_run_picker_get_n_runs (PbRunPicker *self)
{
  g_return_val_if_fail (PB_IS_RUN_PICKER (self), 0);
  return self->offered->len;
}

PbRunItem *
pb_run_picker_get_nth_run (PbRunPicker *self,
                           guint        index)
{
  g_return_val_if_fail (PB_IS_RUN_PICKER (self), NULL);
  return index < self->offered->len ? g_ptr_array_index (self->offered, index) : NULL;
}

guint
pb_run_picker_get_n_entries (PbRunPicker *self)
{
  g_return_val_if_fail (PB_IS_RUN_PICKER (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->names));
}

const char *
pb_run_picker_get_entry_label (PbRunPicker *self,
                               guint        index)
{
  g_return_val_if_fail (PB_IS_RUN_PICKER (self), NULL);
  return gtk_string_list_get_string (self->names, index);
}
