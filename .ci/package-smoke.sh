#!/usr/bin/env bash
# The packaging contract, checked as a new user would: pack the solution, then
#  1. a fresh net10.0 console project that only references the ModelCompiler package and adds a model as an
#     AdditionalFile builds and predicts (the managed backend);
#  2. a second fresh project that only references ModelCompiler.OnnxRuntime, with Backend="OnnxRuntime", builds
#     and predicts through ONNX Runtime and prints the execution provider that ran;
#  3. the modelc .NET tool (ModelCompiler.Tool) installs from the packed folder and runs a few commands.
# Uses a private NuGet cache so nothing from the repository's own build can leak in.
# `package-smoke.sh onnxruntime` runs only the second check (after packing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
only="${1:-all}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet pack "$root/ModelCompiler.sln" -c Release -o "$work/packages" -v quiet -nologo
ls "$work/packages"
test -f "$work/packages/ModelCompiler.0.1.0.nupkg"
test -f "$work/packages/ModelCompiler.OnnxRuntime.0.1.0.nupkg"
test -f "$work/packages/ModelCompiler.Tool.0.1.0.nupkg"
export NUGET_PACKAGES="$work/nuget-cache"

# A fresh console project in $1 whose csproj items are $2.
new_app() {
  local app="$1" items="$2"
  mkdir -p "$app/models"
  # A model built by the project's own sample data: the sample's digit classifier (committed in the repo).
  cp "$root/Samples/DigitClassifier/Model/digits_resnet.onnx" "$app/models/"
  cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
  cat > "$app/App.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
$items
  </ItemGroup>
</Project>
XML
}

if [ "$only" = all ]; then
  echo "== the modelc tool, installed from the packed folder as a new user would"
  # The build-time package must stay lean: the tool's dependencies (ONNX Runtime, Roslyn...) are not in it.
  if unzip -l "$work/packages/ModelCompiler.0.1.0.nupkg" | grep -qiE 'spectre|mathnet|codeanalysis'; then
    echo "the ModelCompiler package carries the modelc tool's dependencies"; exit 1
  fi
  dotnet tool install --tool-path "$work/tools" --add-source "$work/packages" ModelCompiler.Tool --version 0.1.0
  modelc="$work/tools/modelc"
  data="$root/Samples/DigitClassifier/Data"
  model="$root/Samples/DigitClassifier/Model/digits_resnet.onnx"
  "$modelc" --help > /dev/null
  "$modelc" inspect "$model"
  "$modelc" quantize "$model" -o "$work/digits_int8.onnx" --calibration "$data/digits_test.x.bin" --calibration-samples 100 --per-channel
  # The compiled model (ModelCompiler + Roslyn in the installed tool's process) against ONNX Runtime.
  "$modelc" compare "$work/digits_int8.onnx" --compiled --data "$data/digits_test.x.bin" --labels "$data/digits_test.y.bin"
  if "$modelc" inspect "$work/no-such-model.onnx" 2> "$work/err.txt"; then echo "a missing model must fail"; exit 1; fi
  grep -q "cannot read" "$work/err.txt"

  echo "== managed backend: a project referencing only ModelCompiler"
  app="$work/app"
  # The same model a second time without metadata: its class is named after the file, in RootNamespace.
  new_app "$app" '    <PackageReference Include="ModelCompiler" Version="0.1.0" />
    <AdditionalFiles Include="models/digits_resnet.onnx" ClassName="M" Namespace="N" />
    <AdditionalFiles Include="models/digits-net_v2.onnx" />'
  cp "$app/models/digits_resnet.onnx" "$app/models/digits-net_v2.onnx"
  cat > "$app/Program.cs" <<'CS'
var input = new float[N.M.InputLength];
for (int i = 0; i < input.Length; i++) input[i] = (i % 5) / 4f;
var output = new float[N.M.OutputLength];
N.M.Predict(input, output);
Console.WriteLine($"predicted class {Array.IndexOf(output, output.Max())} of {output.Length}; shape {string.Join("x", N.M.InputShape.ToArray())}");
var again = new float[App.DigitsNetV2.OutputLength];
App.DigitsNetV2.Predict(input, again);
if (!again.SequenceEqual(output)) throw new Exception("the default-named class disagrees with the named one");
Console.WriteLine("App.DigitsNetV2 (default class name and namespace) agrees");
Console.WriteLine($"runtime library loaded from {typeof(ModelCompiler.Runtime.PackedConv).Assembly.Location}");
CS
  dotnet run --project "$app/App.csproj" -c Release | tee "$work/app.txt"
  # On linux-x64 the package's ReadyToRun build of the run-time library is the one loaded (docs/benchmarks.md, "First call").
  # (listed to a file first: grep -q closing the pipe early would fail the pipeline under pipefail)
  unzip -l "$work/packages/ModelCompiler.0.1.0.nupkg" > "$work/contents.txt"
  grep -q 'runtimes/linux-x64/lib/net10.0/ModelCompiler.Runtime.dll' "$work/contents.txt" || { echo "no ReadyToRun runtime in the package"; exit 1; }
  if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then
    grep -q 'runtime library loaded from .*runtimes/linux-x64/lib/net10.0/ModelCompiler.Runtime.dll' "$work/app.txt" || { echo "the ReadyToRun runtime was not the one loaded"; exit 1; }
  fi
fi

echo "== OnnxRuntime backend: a project referencing only ModelCompiler.OnnxRuntime"
# Its dependency on ModelCompiler must keep the generator (analyzers) and the build targets.
nuspec="$(unzip -p "$work/packages/ModelCompiler.OnnxRuntime.0.1.0.nupkg" ModelCompiler.OnnxRuntime.nuspec)"
echo "$nuspec" | grep -q '<dependency id="ModelCompiler" version="0.1.0"' || { echo "no dependency on ModelCompiler"; exit 1; }
if echo "$nuspec" | grep '<dependency id="ModelCompiler"' | grep -qiE 'exclude="[^"]*(build|analyzers)'; then
  echo "the dependency on ModelCompiler excludes its build assets or analyzers"; exit 1
fi
# And the managed package must not drag ONNX Runtime in.
if unzip -p "$work/packages/ModelCompiler.0.1.0.nupkg" ModelCompiler.nuspec | grep -qi onnxruntime; then
  echo "the ModelCompiler package depends on ONNX Runtime"; exit 1
fi
ort="$work/ort-app"
new_app "$ort" '    <PackageReference Include="ModelCompiler.OnnxRuntime" Version="0.1.0" />
    <AdditionalFiles Include="models/digits_resnet.onnx" ClassName="M" Namespace="N" Backend="OnnxRuntime" ExecutionProviders="CUDA,OpenVINO,CPU" />'
cat > "$ort/Program.cs" <<'CS'
var input = new float[N.M.InputLength];
for (int i = 0; i < input.Length; i++) input[i] = (i % 5) / 4f;
var output = new float[N.M.OutputLength];
N.M.Predict(input, output);
Console.WriteLine($"predicted class {Array.IndexOf(output, output.Max())} of {output.Length}; shape {string.Join("x", N.M.InputShape.ToArray())}");
Console.WriteLine($"backend {N.M.Backend}, ActiveExecutionProvider {N.M.ActiveExecutionProvider}; skipped: {string.Join("; ", N.M.SkippedExecutionProviders.Select(s => s.Name + " (" + s.NuGetPackage + ")"))}");
if (N.M.ActiveExecutionProvider is null) return 1;
return 0;
CS
dotnet run --project "$ort/App.csproj" -c Release

echo "== OnnxRuntime backend: an execution-provider package's native library replaces the CPU one"
# Provider packages (Microsoft.ML.OnnxRuntime.Gpu.Linux, ...) ship their own libonnxruntime; a stand-in package,
# registered like them, must win over Microsoft.ML.OnnxRuntime's copy in the output.
fake="$work/fake-provider"
mkdir -p "$fake/runtimes/linux-x64/native" "$fake/runtimes/win-x64/native" "$fake/runtimes/osx-arm64/native"
printf 'stand-in' > "$fake/runtimes/linux-x64/native/libonnxruntime.so"
printf 'stand-in' > "$fake/runtimes/win-x64/native/onnxruntime.dll"
printf 'stand-in' > "$fake/runtimes/osx-arm64/native/libonnxruntime.dylib"
cat > "$fake/ModelCompilerSmoke.FakeProvider.nuspec" <<XML
<?xml version="1.0"?>
<package><metadata><id>ModelCompilerSmoke.FakeProvider</id><version>1.0.0</version><authors>smoke</authors><description>stand-in provider package</description></metadata></package>
XML
(cd "$fake" && zip -q -r "$work/packages/ModelCompilerSmoke.FakeProvider.1.0.0.nupkg" ModelCompilerSmoke.FakeProvider.nuspec runtimes)
sed -i 's|</ItemGroup>|  <PackageReference Include="ModelCompilerSmoke.FakeProvider" Version="1.0.0" />\n    <ModelCompilerOnnxRuntimeNativePackage Include="ModelCompilerSmoke.FakeProvider" />\n  </ItemGroup>|' "$ort/App.csproj"
dotnet build "$ort/App.csproj" -c Release -v quiet -nologo
native="$(find "$ort/bin/Release/net10.0/runtimes" -name 'libonnxruntime.so' -path '*linux-x64*')"
test "$(cat "$native")" = "stand-in" || { echo "the CPU package's libonnxruntime.so was copied instead of the provider package's"; exit 1; }
echo "provider package's native library is the one in the output"
