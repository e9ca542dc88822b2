#!/usr/bin/env bash
# The packaging contract, checked as a new user would: pack the solution, create a fresh net10.0 console
# project that only references the ModelCompiler package and adds a model as an AdditionalFile, build it,
# run it. Uses a private NuGet cache so nothing from the repository's own build can leak in.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet pack "$root/ModelCompiler.sln" -c Release -o "$work/packages" -v quiet -nologo
ls "$work/packages"
test -f "$work/packages/ModelCompiler.0.1.0.nupkg"

app="$work/app"
mkdir -p "$app/models"
# A model built by the project's own sample data: the sample's digit classifier (committed in the repo).
cp "$root/Samples/DigitClassifier/Model/digits_resnet.onnx" "$app/models/"
# The same model again without metadata: its class must be named after the file, in the project's RootNamespace.
cp "$root/Samples/DigitClassifier/Model/digits_resnet.onnx" "$app/models/digits-net_v2.onnx"
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
    <PackageReference Include="ModelCompiler" Version="0.1.0" />
    <AdditionalFiles Include="models/digits_resnet.onnx" ClassName="M" Namespace="N" />
    <AdditionalFiles Include="models/digits-net_v2.onnx" />
  </ItemGroup>
</Project>
XML
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
CS
export NUGET_PACKAGES="$work/nuget-cache"
dotnet run --project "$app/App.csproj" -c Release
