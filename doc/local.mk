# doc/: guides (Markdown), man pages, and the Doxygen API reference.
EXTRA_DIST += doc/Doxyfile.in doc/mainpage.md

if HAVE_DOXYGEN
doc/Doxyfile: $(srcdir)/doc/Doxyfile.in Makefile
	$(AM_V_GEN)mkdir -p doc/api && sed \
	  -e 's|@VERSION[@]|$(VERSION)|g' \
	  -e 's|@abs_top_srcdir[@]|$(abs_top_srcdir)|g' \
	  -e 's|@abs_top_builddir[@]|$(abs_top_builddir)|g' \
	  $(srcdir)/doc/Doxyfile.in > $@

# The reference of every public header; undocumented entities are listed
# in doc/api/warnings.log.
doc: doc/Doxyfile
	$(AM_V_GEN)$(DOXYGEN) doc/Doxyfile
	@n=$$(grep -c 'is not documented' doc/api/warnings.log || true); \
	  echo "API reference: doc/api/html/index.html ($$n undocumented entities, see doc/api/warnings.log)"
else
doc:
	@echo "doxygen not found: install it and re-run configure" >&2; exit 1
endif
.PHONY: doc
CLEANFILES += doc/Doxyfile
clean-local: clean-doc
clean-doc:
	-rm -rf doc/api
.PHONY: clean-doc
