/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-sweep-view"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-core-error.h"
#include "pb-sweep-view-private.h"
#include "pb-train-settings.h"

/* Options a sweep does not take as parameters: the seeds come from the sweep's own, and the
 * validation split is its setting. */
static const char *const not_swept[] = { "seed", "val-pairs", NULL };

static const char *
default_spec (PbSweepView *self,
              const char  *name)
{
  static char buf[PB_OPTION_VALUE_MAX];
  PbTrainSettings s;

  if (g_str_equal (name, "lr"))
    return "0.0005–0.005 log";
  if (g_str_equal (name, "hidden"))
    return "64, 96, 128";
  if (g_str_equal (name, "dropout"))
    return "0, 0.2";
  if (!pb_train_settings_from_gsettings (self->settings, &s, NULL))
    pb_train_settings_init (&s, "siamese-aux", NULL);
  pb_train_settings_get_option (&s, name, buf, sizeof buf);
  return buf;
}

static void
on_remove_clicked (GtkButton *button,
                   gpointer   row)
{
  PbSweepView *self = g_object_get_data (G_OBJECT (row), "view");

  g_ptr_array_remove (self->param_rows, row);
  adw_preferences_group_remove (self->params_group, GTK_WIDGET (row));
}

void
_pb_sweep_view_add_param (PbSweepView *self,
                          const char  *name,
                          const char  *spec)
{
  const PbOptionInfo *info = pb_option_lookup (name);
  GtkWidget *row, *remove;

  for (guint i = 0; i < self->param_rows->len; i++)
    {
      GtkWidget *other = g_ptr_array_index (self->param_rows, i);
      if (g_str_equal (g_object_get_data (G_OBJECT (other), "name"), name))
        {
          gtk_editable_set_text (GTK_EDITABLE (other), spec);
          return;
        }
    }
  row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  gtk_editable_set_text (GTK_EDITABLE (row), spec);
  if (info != NULL && info->kind == PB_OPTION_INT3)
    gtk_widget_set_tooltip_text (row, _("Separate the values with semicolons: 16,32,64; 16,64,128"));
  g_object_set_data_full (G_OBJECT (row), "name", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (row), "view", self);
  remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  /* Translators: a tooltip; %s is a parameter's name */
  {
    g_autofree char *tip = g_strdup_printf (_("Stop sweeping %s"), name);
    gtk_widget_set_tooltip_text (remove, tip);
  }
  g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_clicked), row);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), remove);
  adw_preferences_group_add (self->params_group, row);
  g_ptr_array_add (self->param_rows, row);
}

void
_pb_sweep_view_clear_params (PbSweepView *self)
{
  while (self->param_rows->len > 0)
    {
      GtkWidget *row = g_ptr_array_index (self->param_rows, 0);
      g_ptr_array_remove_index (self->param_rows, 0);
      adw_preferences_group_remove (self->params_group, row);
    }
}

void
_pb_sweep_view_set_params_sensitive (PbSweepView *self,
                                     gboolean     sensitive)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->params_group), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_row), sensitive);
}

static void
on_add_clicked (PbSweepView *self)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (self->add_row);

  if (item != NULL)
    {
      const char *name = gtk_string_object_get_string (item);
      _pb_sweep_view_add_param (self, name, default_spec (self, name));
    }
}

void
_pb_sweep_view_init_params (PbSweepView *self)
{
  int n;
  const PbOptionInfo *options = pb_options (&n);

  self->param_rows = g_ptr_array_new ();
  self->option_names = gtk_string_list_new (NULL);
  for (int i = 0; i < n; i++)
    if (!g_strv_contains (not_swept, options[i].name) && options[i].kind != PB_OPTION_SEED)
      gtk_string_list_append (self->option_names, options[i].name);
  adw_combo_row_set_model (self->add_row, G_LIST_MODEL (self->option_names));
  {
    g_autoptr(GtkExpression) expr =
      gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
    adw_combo_row_set_expression (self->add_row, expr);
  }
  g_signal_connect_swapped (self->add_button, "clicked", G_CALLBACK (on_add_clicked), self);
  _pb_sweep_view_add_param (self, "lr", default_spec (self, "lr"));
  _pb_sweep_view_add_param (self, "hidden", default_spec (self, "hidden"));
}

void
pb_sweep_view_set_parameters (PbSweepView       *self,
                              const char *const *names,
                              const char *const *specs)
{
  g_return_if_fail (PB_IS_SWEEP_VIEW (self));

  _pb_sweep_view_clear_params (self);
  for (int i = 0; names != NULL && names[i] != NULL; i++)
    _pb_sweep_view_add_param (self, names[i], specs[i]);
}

/* Spec → JSON */

static gboolean
append_value (PbStr              *out,
              const PbOptionInfo *info,
              const char         *text)
{
  char *end = NULL;
  double v;

  if (info != NULL && (info->kind == PB_OPTION_INT || info->kind == PB_OPTION_REAL))
    {
      v = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0' || !isfinite (v))
        return FALSE;
      pb_str_append_double (out, v);
    }
  else if (info != NULL && info->kind == PB_OPTION_FLAG
           && (g_str_equal (text, "true") || g_str_equal (text, "false")))
    pb_str_append (out, text);
  else
    pb_str_append_json_string (out, text);
  return TRUE;
}

static gboolean
spec_to_json (const char  *name,
              const char  *spec,
              PbStr       *out,
              GError     **error)
{
  static GRegex *range = NULL;
  const PbOptionInfo *info = pb_option_lookup (name);
  g_autofree char *text = g_strstrip (g_strdup (spec));
  g_autoptr(GMatchInfo) match = NULL;
  g_auto(GStrv) items = NULL;
  guint n = 0;

  if (range == NULL)
    range = g_regex_new ("^([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\\s*(?:–|—|\\.\\.|-|to)\\s*"
                         "([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
                         "\\s*(log|int|step\\s+([0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?))?$",
                         G_REGEX_OPTIMIZE, 0, NULL);
  pb_str_append_json_string (out, name);
  pb_str_append (out, ":{");
  if (info != NULL && info->kind != PB_OPTION_CHOICE && info->kind != PB_OPTION_INT3
      && info->kind != PB_OPTION_FLAG && g_regex_match (range, text, 0, &match))
    {
      g_autofree char *lo = g_match_info_fetch (match, 1);
      g_autofree char *hi = g_match_info_fetch (match, 2);
      g_autofree char *kind = g_match_info_fetch (match, 3);
      g_autofree char *q = g_match_info_fetch (match, 4);
      const char *dist = "uniform";

      if (kind != NULL && g_str_equal (kind, "log"))
        dist = "log_uniform_values";
      else if (kind != NULL && g_str_equal (kind, "int"))
        dist = "int_uniform";
      else if (q != NULL && q[0] != '\0')
        dist = "q_uniform";
      pb_str_printf (out, "\"distribution\":\"%s\",\"min\":", dist);
      pb_str_append_double (out, g_ascii_strtod (lo, NULL));
      pb_str_append (out, ",\"max\":");
      pb_str_append_double (out, g_ascii_strtod (hi, NULL));
      if (q != NULL && q[0] != '\0')
        {
          pb_str_append (out, ",\"q\":");
          pb_str_append_double (out, g_ascii_strtod (q, NULL));
        }
      pb_str_append (out, "}");
      return TRUE;
    }

  items = g_strsplit (text, strchr (text, ';') != NULL || (info && info->kind == PB_OPTION_INT3)
                              ? ";" : ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    n += g_strstrip (items[i])[0] != '\0';
  if (n == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s: expected values separated by commas or a range such as 0.001–0.01 "
                     "log, got '%s'"), name, spec);
      return FALSE;
    }
  pb_str_append (out, n == 1 ? "\"value\":" : "\"values\":[");
  n = 0;
  for (guint i = 0; items[i] != NULL; i++)
    {
      if (items[i][0] == '\0')
        continue;
      if (n++ > 0)
        pb_str_append (out, ",");
      if (!append_value (out, info, items[i]))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("%s: expected a number, got '%s'"), name, items[i]);
          return FALSE;
        }
    }
  pb_str_append (out, n == 1 ? "}" : "]}");
  return TRUE;
}

gboolean
pb_sweep_view_build_config (PbSweepView    *self,
                            PbSweepConfig  *out,
                            GError        **error)
{
  static const char *const methods[] = { "random", "grid", "halving" };
  guint method = adw_combo_row_get_selected (self->method_row);
  g_autoptr(GError) local = NULL;
  PbTrainSettings base;
  gboolean ok = TRUE;
  PbStr json;

  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), FALSE);

  if (!pb_train_settings_from_gsettings (self->settings, &base, error))
    return FALSE;
  if (self->param_rows->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Add a parameter to sweep"));
      return FALSE;
    }
  pb_str_init (&json);
  pb_str_printf (&json, "{\"method\":\"%s\",\"metric\":{\"name\":\"val_error\",\"goal\":"
                 "\"minimize\"},", methods[MIN (method, G_N_ELEMENTS (methods) - 1)]);
  if (method != 1)
    pb_str_printf (&json, "\"trials\":%d,", gtk_spin_button_get_value_as_int (self->trials_spin));
  pb_str_printf (&json, "\"rounds\":%d,\"seed\":%llu,\"val-pairs\":%d,\"parameters\":{",
                 gtk_spin_button_get_value_as_int (self->rounds_spin),
                 (unsigned long long) base.seed,
                 gtk_spin_button_get_value_as_int (self->val_spin));
  for (guint i = 0; i < self->param_rows->len && ok; i++)
    {
      GObject *row = g_ptr_array_index (self->param_rows, i);

      if (i > 0)
        pb_str_append (&json, ",");
      ok = spec_to_json (g_object_get_data (row, "name"),
                         gtk_editable_get_text (GTK_EDITABLE (row)), &json, error);
      if (!ok)
        gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
    }
  pb_str_append (&json, "}}");
  if (ok && json.failed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
      ok = FALSE;
    }
  if (ok)
    ok = pb_sweeper_parse_config (json.data, _("Sweep settings"), out, error);
  g_debug ("sweep config: %s", json.data ? json.data : "");
  pb_str_clear (&json);
  return ok;
}
