/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-format"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-format.h"

char *
pb_format_count (gsize n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GSIZE_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        /* A narrow no-break space: a count never wraps between its digit groups. */
        g_string_append (out, "\u202f");
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

char *
pb_format_duration (double seconds)
{
  gint64 s = (gint64) (seconds + 0.5);

  if (s < 0)
    s = 0;
  if (s >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", (int) (s / 3600), (int) (s / 60 % 60), (int) (s % 60));
  return g_strdup_printf ("%d:%02d", (int) (s / 60), (int) (s % 60));
}

char *
pb_format_estimate (double epoch_seconds, int runs, int epochs, int cores)
{
  double total;
  gint64 minutes;

  if (!(epoch_seconds > 0) || !isfinite (epoch_seconds) || runs < 1 || epochs < 1)
    return g_strdup (_("Time estimate after the first run"));
  cores = MAX (cores, 1);
  /* Runs train cores at a time: a last, partial batch of runs takes a whole run's time. */
  total = epoch_seconds * epochs * ((runs + cores - 1) / cores);
  minutes = (gint64) (total / 60 + 0.5);
  if (total < 60)
    /* Translators: the estimated time of a comparison */
    return g_strdup_printf (ngettext ("under a minute on %d core", "under a minute on %d cores",
                                      cores), cores);
  if (minutes < 60)
    /* Translators: the estimated time of a comparison: minutes, then cores */
    return g_strdup_printf (ngettext ("about %d min on %d core", "about %d min on %d cores",
                                      cores), (int) minutes, cores);
  /* Translators: the estimated time of a comparison: hours and minutes, then cores */
  return g_strdup_printf (ngettext ("about %d h %02d min on %d core",
                                    "about %d h %02d min on %d cores", cores),
                          (int) (minutes / 60), (int) (minutes % 60), cores);
}
