# sando: the newcomer's entry points.  `make` builds into build/; `make test`
# installs what it needs, builds from scratch and runs every test (also under
# ASan/UBSan); `make demo` starts sandod on a generated demo workspace.
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all deps test unit demo bench format clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

deps:
	tools/install-deps.sh

test: deps
	rm -rf $(BUILD) $(ASAN_BUILD)
	meson setup $(BUILD) >/dev/null
	ninja -C $(BUILD)
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	ninja -C $(ASAN_BUILD)
	tests/run-all.sh $(BUILD) $(ASAN_BUILD)

demo: deps all
	tools/demo.sh $(BUILD)

bench: deps all
	bench/http.sh $(BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'examples/*.[ch]')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
