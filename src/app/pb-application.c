/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-application"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-application.h"
#include "pb-preferences-window.h"
#include "pb-window.h"

struct _PbApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
};

G_DEFINE_TYPE (PbApplication, pb_application, ADW_TYPE_APPLICATION)

static void
apply_color_scheme (PbApplication *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();

  switch (g_settings_get_enum (self->settings, "color-scheme"))
    {
    case 1:
      adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
      break;
    case 2:
      adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
      break;
    default:
      adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
      break;
    }
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GtkApplication *app = user_data;
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (app));

  /* Closing (rather than g_application_quit) lets each window stop and join its worker. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = user_data;
  GtkWindow *window = gtk_application_get_active_window (app);
  static const char *developers[] = { "The Pairbench developers", NULL };
  static const char *report_authors[] = {
    "Yan Fu", "Yinan Zhang", "Zhechen Su", NULL,
  };
  GtkWidget *about = adw_about_window_new ();

  adw_about_window_set_application_name (ADW_ABOUT_WINDOW (about), _("Pairbench"));
  adw_about_window_set_application_icon (ADW_ABOUT_WINDOW (about), PB_APP_ID);
  adw_about_window_set_version (ADW_ABOUT_WINDOW (about), PB_VERSION);
  adw_about_window_set_developer_name (ADW_ABOUT_WINDOW (about), _("The Pairbench developers"));
  adw_about_window_set_developers (ADW_ABOUT_WINDOW (about), developers);
  adw_about_window_set_website (ADW_ABOUT_WINDOW (about),
                                "https://github.com/pairbench/pairbench");
  adw_about_window_set_issue_url (ADW_ABOUT_WINDOW (about),
                                  "https://github.com/pairbench/pairbench/issues");
  adw_about_window_set_license_type (ADW_ABOUT_WINDOW (about), GTK_LICENSE_GPL_3_0);
  adw_about_window_set_comments (ADW_ABOUT_WINDOW (about),
                                 _("Does weight sharing or an auxiliary loss help a small "
                                   "network tell which of two digits is larger? Pairbench "
                                   "reproduces the EE-559 project report by Yan Fu, Yinan Zhang "
                                   "and Zhechen Su (EPFL) and lets you watch it train."));
  adw_about_window_add_credit_section (ADW_ABOUT_WINDOW (about), _("Report Authors"),
                                       report_authors);
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about), _("MNIST"),
                                      "© Yann LeCun, Corinna Cortes, Christopher J. C. Burges",
                                      GTK_LICENSE_CUSTOM,
                                      _("The MNIST database of handwritten digits, by Yann "
                                        "LeCun, Corinna Cortes and Christopher J. C. Burges, "
                                        "is available under the terms of the Creative Commons "
                                        "Attribution-Share Alike 3.0 license."));
  /* Translators: your names, one per line */
  adw_about_window_set_translator_credits (ADW_ABOUT_WINDOW (about), _("translator-credits"));
  if (window != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (about), window);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  GtkApplication *app = user_data;
  GtkWindow *window = gtk_application_get_active_window (app);
  GtkWidget *prefs = pb_preferences_window_new ();

  if (window != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (prefs), window);
  gtk_window_present (GTK_WINDOW (prefs));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
  { .name = "about", .activate = about_action },
  { .name = "preferences", .activate = preferences_action },
};

static void
pb_application_startup (GApplication *application)
{
  PbApplication *self = PB_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (pb_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);

  self->settings = g_settings_new (PB_SCHEMA_ID);
  g_signal_connect_object (self->settings, "changed::color-scheme",
                           G_CALLBACK (apply_color_scheme), self, G_CONNECT_SWAPPED);
  apply_color_scheme (self);
}

static void
pb_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    window = GTK_WINDOW (pb_window_new (GTK_APPLICATION (application)));
  gtk_window_present (window);
}

static void
pb_application_dispose (GObject *object)
{
  PbApplication *self = PB_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_application_parent_class)->dispose (object);
}

static void
pb_application_class_init (PbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = pb_application_dispose;
  app_class->startup = pb_application_startup;
  app_class->activate = pb_application_activate;
}

static void
pb_application_init (PbApplication *self)
{
}

PbApplication *
pb_application_new (void)
{
  /* The base path stays the same for the .Devel id, so style.css and the shortcuts window
   * still load. */
  return g_object_new (PB_TYPE_APPLICATION,
                       "application-id", PB_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/pairbench/Pairbench",
                       NULL);
}
