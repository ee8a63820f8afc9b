# doc/: guides (Markdown), man pages, and the Doxygen API reference.
EXTRA_DIST += doc/Doxyfile.in doc/mainpage.md \
	doc/writing-a-layer.md doc/composing.md

if HAVE_DOXYGEN
doc/api/Doxyfile: $(srcdir)/doc/Doxyfile.in Makefile
	$(AM_V_GEN)mkdir -p doc/api && sed \
	  -e 's|@VERSION[@]|$(VERSION)|g' \
	  -e 's|@abs_top_srcdir[@]|$(abs_top_srcdir)|g' \
	  -e 's|@abs_top_builddir[@]|$(abs_top_builddir)|g' \
	  $(srcdir)/doc/Doxyfile.in > $@

# The reference of every public header.  Doxygen lists undocumented
# entities (EXTRACT_ALL is off, so they are also left out of the HTML) and
# other problems in doc/api/warnings.log.
doc: doc/api/Doxyfile
	$(AM_V_GEN)$(DOXYGEN) doc/api/Doxyfile
	@n=$$(grep -c 'is not documented' doc/api/warnings.log || true); \
	  w=$$(grep -c ': warning:' doc/api/warnings.log || true); \
	  echo "API reference: doc/api/html/index.html ($$n undocumented entities, $$w warnings in all, see doc/api/warnings.log)"

# For CI: fail when a public header has an undocumented entity or any
# other Doxygen warning; make check runs the same script.
doc-check:
	$(AM_V_GEN)DOXYGEN='$(DOXYGEN)' top_srcdir='$(abs_top_srcdir)' \
	  $(SHELL) $(srcdir)/tests/examples/doc-check.sh
else
doc doc-check:
	@echo "doxygen not found: install it and re-run configure" >&2; exit 1
endif
.PHONY: doc doc-check
clean-local: clean-doc
clean-doc:
	-rm -rf doc/api
.PHONY: clean-doc
