#!/usr/bin/env bash
# Builds target/deploy/backstop.so, the real SBF binary.
#
# Where Solana's platform-tools exist (`cargo build-sbf`), they are used. Where they cannot be downloaded (this
# project's machines), the team's verified route is used instead (docs/sbf-and-compute-units.md): upstream nightly
# rustc with LLVM 23, std patched for target_os = "solana", a JSON target, and sbpf-linker from crates.io, giving
# an SBPF v3 program that LiteSVM executes and meters.
#
# Exit status: 0 built; 2 the toolchain could not be installed here (callers may treat that as "skipped");
# anything else is a build failure.
#
# Produces an SBPF v3 program that LiteSVM runs (tests/sbf). One fix beyond the kit's recipe: std's
# RandomState::new keeps its keys in a thread-local (a writable static, which SBPF cannot hold) and Anchor's
# duplicate-account check builds a HashSet, so the std patch gives Solana fixed keys (see `random_state` below).
# SBF_EXTRA_RUSTFLAGS adds flags for one build, e.g. "-C link-arg=--dump-module=/tmp/ir" to inspect the final IR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SBF_HOME=${SBF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/sbf}
NIGHTLY=nightly-2026-08-21          # rustc 1.100.0-nightly, LLVM 23.1.0: >= 1.100 for the u128 return ABI
SBPF_LINKER_VERSION=0.2.6
OUT="$ROOT/target/deploy/backstop.so"
# The deployed binary's own entrypoint (programs/backstop/src/entrypoint.rs) and no "Instruction: <name>" log line:
# both cost compute units on every instruction, and explorers name instructions from the IDL.
FEATURES=lean-entrypoint,no-log-ix-name
mkdir -p "$SBF_HOME" "$ROOT/target/deploy"

if command -v cargo-build-sbf >/dev/null 2>&1; then
  cargo build-sbf --manifest-path "$ROOT/programs/backstop/Cargo.toml" --sbf-out-dir "$ROOT/target/deploy" \
    --features "$FEATURES"
  ls -l "$OUT"
  exit 0
fi

# 1. Toolchain and linker. Either failing means this machine cannot build SBF: say so, exit 2.
if ! rustup toolchain install "$NIGHTLY" --profile minimal --component rust-src >&2; then
  echo "SBF build skipped: rustup could not install $NIGHTLY" >&2
  exit 2
fi
SYSROOT=$(rustup run "$NIGHTLY" rustc --print sysroot)
if [ ! -x "$SBF_HOME/bin/sbpf-linker" ]; then
  if ! cargo install sbpf-linker --version "$SBPF_LINKER_VERSION" --locked --root "$SBF_HOME" >&2; then
    echo "SBF build skipped: sbpf-linker $SBPF_LINKER_VERSION could not be installed" >&2
    exit 2
  fi
fi

# 3. std sources for target_os = "solana" (copy of rust-src + small patch).
if [ ! -f "$SBF_HOME/rust-src/.patched-v2-$NIGHTLY" ]; then
  rm -rf "$SBF_HOME/rust-src"
  cp -r "$SYSROOT/lib/rustlib/src/rust" "$SBF_HOME/rust-src"
  python3 - "$SBF_HOME/rust-src/library" <<'PYEOF'
import re, sys, pathlib
lib = pathlib.Path(sys.argv[1]); std = lib / "std/src"; MARK = 'target_os = "solana"'
def edit(rel, fn, root=std):
    p = root / rel; s = p.read_text()
    if '"solana"' in s: return
    n = fn(s)
    if n == s: sys.exit(f"patch_std: nothing matched in {p}")
    p.write_text(n)
def add_to_lists(s):   # solana joins vexos in cfg lists: io errors generic, no_threads TLS, unsupported random
    return re.sub(r'target_os = "vexos"(\s*[,)])', r'target_os = "vexos", target_os = "solana"\1', s)
edit("build.rs", lambda s: s.replace('|| target_os == "vexos"', '|| target_os == "vexos"\n        || target_os == "solana"', 1), root=lib / "std")
def alloc(s):          # System allocator = null (program's #[global_allocator] is used); MIN_ALIGN 8 for bpf
    s = re.sub(r'(\n\s*target_arch = "xtensa",\n)(\)\) \{\n\s*8)', r'\1    target_arch = "bpf",\n\2', s, count=1)
    s = s.replace('    target_os = "zkvm" => {\n        mod zkvm;\n        use zkvm as imp;\n    }',
                  '    target_os = "zkvm" => {\n        mod zkvm;\n        use zkvm as imp;\n    }\n'
                  '    target_os = "solana" => {\n        mod solana;\n        use solana as imp;\n    }', 1)
    if MARK not in s or '"bpf"' not in s: sys.exit("patch_std: alloc anchors not found (rust-src layout changed)")
    (std / "sys/alloc/solana.rs").write_text(
        "use crate::alloc::Layout;\n"
        "#[inline] pub unsafe fn alloc(_l: Layout) -> *mut u8 { crate::ptr::null_mut() }\n"
        "#[allow(dead_code)] #[inline] pub unsafe fn alloc_zeroed(_l: Layout) -> *mut u8 { crate::ptr::null_mut() }\n"
        "#[inline] pub unsafe fn dealloc(_p: *mut u8, _l: Layout) {}\n"
        "#[inline] pub unsafe fn realloc(_p: *mut u8, _l: Layout, _n: usize) -> *mut u8 { crate::ptr::null_mut() }\n")
    return s
edit("sys/alloc/mod.rs", alloc)
for f in ("sys/io/error/mod.rs", "sys/thread_local/mod.rs", "sys/random/mod.rs"): edit(f, add_to_lists)
def panicking(s):      # no writable statics (SBPF has no .bss/.data); panic -> custom_panic() -> abort
    n = s.replace('#[cfg(panic = "immediate-abort")]\n#[unstable(feature = "update_panic_count", issue = "none")]\npub mod panic_count',
                  '#[cfg(any(panic = "immediate-abort", target_os = "solana"))]\n#[unstable(feature = "update_panic_count", issue = "none")]\npub mod panic_count', 1)
    n = n.replace('#[cfg(not(panic = "immediate-abort"))]\n#[unstable(feature = "update_panic_count", issue = "none")]\npub mod panic_count',
                  '#[cfg(not(any(panic = "immediate-abort", target_os = "solana")))]\n#[unstable(feature = "update_panic_count", issue = "none")]\npub mod panic_count', 1)
    n = n.replace("pub fn panic_handler(info: &core::panic::PanicInfo<'_>) -> ! {\n",
                  "pub fn panic_handler(info: &core::panic::PanicInfo<'_>) -> ! {\n"
                  '    #[cfg(target_os = "solana")]\n    {\n'
                  '        unsafe extern "Rust" { fn custom_panic(info: &core::panic::PanicInfo<\'_>); }\n'
                  "        unsafe { custom_panic(info) };\n        crate::sys::abort_internal();\n    }\n", 1)
    n = n.replace('    if cfg!(panic = "immediate-abort") {\n        intrinsics::abort()\n    }',
                  '    if cfg!(any(panic = "immediate-abort", target_os = "solana")) {\n        intrinsics::abort()\n    }', 1)
    if n.count(MARK) != 4: sys.exit(f"patch_std: panicking.rs: expected 4 edits, got {n.count(MARK)}")
    return n
edit("panicking.rs", panicking)
edit("sys/pal/unsupported/common.rs", lambda s: s.replace(   # abort = Solana `abort` syscall
    'pub fn abort_internal() -> ! {\n    core::intrinsics::abort();\n}',
    'pub fn abort_internal() -> ! {\n    #[cfg(target_os = "solana")]\n'
    '    unsafe {\n        unsafe extern "C" { fn abort() -> !; }\n        abort()\n    }\n'
    '    #[cfg(not(target_os = "solana"))]\n    core::intrinsics::abort();\n}', 1))
def random_state(s):   # RandomState::new caches keys in a thread_local (a writable static): fixed keys on Solana,
    # which has no entropy source anyway (Anchor's duplicate-mutable-account check builds a HashSet per call).
    n = s.replace("    pub fn new() -> RandomState {\n",
                  "    pub fn new() -> RandomState {\n"
                  '        #[cfg(target_os = "solana")]\n        return RandomState { k0: 0, k1: 0 };\n'
                  '        #[cfg(not(target_os = "solana"))]\n        {\n', 1)
    n = n.replace("            RandomState { k0, k1 }\n        })\n    }\n",
                  "            RandomState { k0, k1 }\n        })\n        }\n    }\n", 1)
    if n.count(MARK) != 2: sys.exit("patch_std: hash/random.rs anchors not found")
    return n
edit("hash/random.rs", random_state)
print("patched std in", lib)
PYEOF
  touch "$SBF_HOME/rust-src/.patched-v2-$NIGHTLY"
fi

# 4. Custom target: upstream bpfel-unknown-none + os/vendor "solana" (so solana crates take their
#    on-chain cfg(target_os = "solana") paths) + static relocation model.
cat > "$SBF_HOME/sbpf-solana-solana.json" <<'EOF'
{
  "arch": "bpf",
  "atomic-cas": true,
  "crt-objects-fallback": "false",
  "data-layout": "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128",
  "dynamic-linking": true,
  "emit-debug-gdb-scripts": false,
  "executables": true,
  "linker": "sbpf-linker",
  "linker-flavor": "bpf",
  "linker-is-gnu": false,
  "llvm-target": "bpfel",
  "main-needs-argc-argv": false,
  "max-atomic-width": 64,
  "merge-functions": "disabled",
  "no-builtins": true,
  "obj-is-bitcode": true,
  "os": "solana",
  "panic-strategy": "abort",
  "position-independent-executables": true,
  "relocation-model": "static",
  "singlethread": true,
  "target-pointer-width": 64,
  "vendor": "solana"
}
EOF

# 5. Build the program crate alone (its own features: entrypoint on), into a target dir of its own so the
#    host build's artifacts are untouched.
export RUSTUP_TOOLCHAIN=$NIGHTLY
export RUSTC_BOOTSTRAP=1
export PATH="$SBF_HOME/bin:$PATH"
export LD_LIBRARY_PATH="$SYSROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export __CARGO_TESTS_ONLY_SRC_ROOT="$SBF_HOME/rust-src/library"
export CARGO_TARGET_DIR="$ROOT/target/sbf"
L=(--bpf-stack-size=4096 --disable-movsx --disable-ldsx --disable-bswap --disable-gotol --disable-gotox)
RUSTFLAGS="-C passes=lower-atomic -C jump-tables=no -C target-cpu=v4"
RUSTFLAGS+=" -C target-feature=+allows-misaligned-mem-access -C link-arg=--arch=v3"
RUSTFLAGS+=" ${SBF_EXTRA_RUSTFLAGS:-}"
for a in "${L[@]}"; do RUSTFLAGS+=" -C link-arg=--llvm-args=$a"; done
export RUSTFLAGS
cd "$ROOT"
cargo build --release --locked -p backstop --features "$FEATURES" -Zjson-target-spec -Zbuild-std=std,panic_abort \
  --target "$SBF_HOME/sbpf-solana-solana.json"
cp "$CARGO_TARGET_DIR/sbpf-solana-solana/release/libbackstop.so" "$OUT"
readelf -h "$OUT" | grep -E 'Type|Machine|Flags' || true
ls -l "$OUT"
