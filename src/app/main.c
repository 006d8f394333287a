/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pairbench"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-application.h"
#include "pb-uninstalled.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PbApplication) app = NULL;

  pb_uninstalled_setup ();

  bindtextdomain (GETTEXT_PACKAGE, pb_locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = pb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
