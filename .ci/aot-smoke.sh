#!/usr/bin/env bash
# The NativeAOT contract (README: NativeAOT and trimming): the main sample published with PublishAot=true builds
# without a single warning (trim and AOT analysis included) and its native binary prints what the JIT-compiled
# sample prints: the three drawn digits, their predictions and the accuracy line (the timing in it left out).
set -euo pipefail
cd "$(dirname "$0")/.."

# NativeAOT links with clang and zlib (Debian's packages).
if ! command -v clang > /dev/null || [ ! -e /usr/include/zlib.h ]; then
  echo "== installing clang and zlib1g-dev (the NativeAOT linker)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev > /dev/null
fi
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) echo "aot-smoke: no NativeAOT runtime identifier for $(uname -m)"; exit 1 ;;
esac

out=artifacts/aot
log=artifacts/aot-publish.log
rm -rf "$out"
mkdir -p artifacts
# TrimmerSingleWarn=false: a dependency's trim/AOT warnings are listed one by one instead of one IL2104 per assembly.
# -tl:off: the plain console logger, whose lines the grep below reads. Warnings are not turned into errors here
# (the repository's TreatWarningsAsErrors already does that for C# and ILC); the grep catches whatever still
# reaches the log as a warning: MSBuild, NuGet, SDK, trim (IL2xxx) and AOT (IL3xxx) analysis.
start=$SECONDS
# PublishAot is the sample's own setting (its .csproj): passed here it would reach the generator and modelc too.
grep -q '<PublishAot>true</PublishAot>' Samples/DigitClassifier/DigitClassifier.csproj
dotnet publish Samples/DigitClassifier -c Release -r "$rid" -p:TrimmerSingleWarn=false -tl:off -o "$out" 2>&1 | tee "$log"
echo "aot-smoke: publish took $((SECONDS - start)) s"
warnings=$(grep -E -i '(^|[: ])warning [A-Z]+[0-9]+' "$log" | sort -u || true)
if [ -n "$warnings" ]; then
  echo "aot-smoke: the NativeAOT publish has warnings:"
  echo "$warnings"
  exit 1
fi
if [ ! -x "$out/DigitClassifier" ]; then
  echo "aot-smoke: no native executable at $out/DigitClassifier"
  exit 1
fi

without_timing() { sed -E 's/ \([0-9.]+ µs per image on one thread\)//'; }
jit=$(dotnet run --project Samples/DigitClassifier -c Release | without_timing)
aot=$("$out/DigitClassifier" | without_timing)
if [ "$jit" != "$aot" ]; then
  echo "aot-smoke: the native sample prints something else than the JIT-compiled one:"
  diff <(echo "$jit") <(echo "$aot") || true
  exit 1
fi
echo "$aot" | grep '^Accuracy'
echo "aot-smoke: NativeAOT sample ($rid, $(du -h "$out/DigitClassifier" | cut -f1)) built without warnings and prints the same as the JIT-compiled one"
