/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-preferences-window.h"
#include "pb-uninstalled.h"

struct _PbPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  GtkFileChooserNative *chooser;

  AdwComboRow *style_row;
  AdwActionRow *data_row;
  GtkWidget *reset_button;
};

G_DEFINE_TYPE (PbPreferencesWindow, pb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *const schemes[] = { "system", "light", "dark" };

static gboolean
scheme_to_selected (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_str_equal (nick, schemes[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
selected_to_scheme (const GValue       *value,
                    const GVariantType *type,
                    gpointer            user_data)
{
  guint i = g_value_get_uint (value);

  return g_variant_new_string (schemes[i < G_N_ELEMENTS (schemes) ? i : 0]);
}

static void
update_data_row (PbPreferencesWindow *self)
{
  g_autofree char *setting = g_settings_get_string (self->settings, "data-dir");
  g_autofree char *resolved = pb_resolve_data_dir (setting);
  g_autofree char *subtitle = NULL;

  if (setting[0] == '\0')
    /* Translators: the folder in use when none is chosen */
    subtitle = g_strdup_printf (_("Shipped data: %s"), resolved);
  else
    subtitle = g_strdup (resolved);
  adw_action_row_set_subtitle (self->data_row, subtitle);
  gtk_widget_set_visible (self->reset_button, setting[0] != '\0');
}

static void
on_chooser_response (GtkNativeDialog     *dialog,
                     int                  response,
                     PbPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = folder ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "data-dir", path);
    }
  g_clear_object (&self->chooser);
}

static void
on_choose_clicked (PbPreferencesWindow *self)
{
  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose the MNIST Folder"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_reset_clicked (PbPreferencesWindow *self)
{
  g_settings_reset (self->settings, "data-dir");
}

static void
pb_preferences_window_dispose (GObject *object)
{
  PbPreferencesWindow *self = PB_PREFERENCES_WINDOW (object);

  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_preferences_window_parent_class)->dispose (object);
}

static void
pb_preferences_window_class_init (PbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/"
                                               "pb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, data_row);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, reset_button);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_clicked);
}

static void
pb_preferences_window_init (PbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (PB_SCHEMA_ID);
  g_settings_bind_with_mapping (self->settings, "color-scheme", self->style_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, scheme_to_selected, selected_to_scheme,
                                NULL, NULL);
  g_signal_connect_object (self->settings, "changed::data-dir", G_CALLBACK (update_data_row),
                           self, G_CONNECT_SWAPPED);
  update_data_row (self);
}

GtkWidget *
pb_preferences_window_new (void)
{
  return g_object_new (PB_TYPE_PREFERENCES_WINDOW, NULL);
}
