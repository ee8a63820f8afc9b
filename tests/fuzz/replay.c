/* Replay driver: runs a fuzz target over files, without libFuzzer, so the
 * committed corpus is a regression suite in every build (gcc, sanitizers,
 * Valgrind).  Arguments are files or directories; without any, the
 * target's corpus $top_srcdir/tests/fuzz/corpus/<target>/ is replayed.
 * Exits 0 when every input ran (a failing input aborts). */
#include <config.h>
#include "fuzz.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gint path_cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned replay_path(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR))
    {
      GDir *dir = g_dir_open(path, 0, NULL);
      if (!dir)
        return 0;
      /* Sorted, so that a run is the same everywhere. */
      GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
      const char *name;
      while ((name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_build_filename(path, name, NULL));
      g_dir_close(dir);
      g_ptr_array_sort(names, path_cmp);
      unsigned n = 0;
      for (guint i = 0; i < names->len; i++)
        n += replay_path(g_ptr_array_index(names, i));
      g_ptr_array_free(names, TRUE);
      return n;
    }
  gchar *data;
  gsize len;
  GError *error = NULL;
  if (!g_file_get_contents(path, &data, &len, &error))
    {
      fprintf(stderr, "%s\n", error->message);
      g_error_free(error);
      exit(99);
    }
  if (getenv("FZ_VERBOSE"))
    fprintf(stderr, "replay %s (%zu bytes)\n", path, (size_t)len);
  LLVMFuzzerTestOneInput((const uint8_t *)data, len);
  g_free(data);
  return 1;
}

int main(int argc, char **argv)
{
  unsigned n = 0;
  if (argc > 1)
    for (int i = 1; i < argc; i++)
      n += replay_path(argv[i]);
  else
    {
      const char *top = getenv("top_srcdir");
      gchar *dir = g_build_filename(top ? top : ".", "tests", "fuzz", "corpus",
                                    fz_target_name, NULL);
      n = replay_path(dir);
      g_free(dir);
    }
  printf("%s: replayed %u inputs\n", fz_target_name, n);
  return n ? 0 : 99;
}
