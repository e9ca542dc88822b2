#!/usr/bin/env bash
# Runs a fuzz campaign of any size and seed over the models in ../shared (niced: the machine is shared).
#   Tests/ModelCompiler.Fuzz/run-campaign.sh --seed 7 --cases 10000 --jobs 2
#   Tests/ModelCompiler.Fuzz/run-campaign.sh --seed 7 --kinds attr-type,resize-scales --cases 500
#   Tests/ModelCompiler.Fuzz/run-campaign.sh --seed 7 --case 1234        (one case, in process, with its stack trace)
#   Tests/ModelCompiler.Fuzz/run-campaign.sh --list-kinds
# Results go to artifacts/fuzz/seed-N/ (summary.txt, results.jsonl, defects/case-N.onnx); exit code 1 if any defect.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dotnet build "$root/Tests/ModelCompiler.Fuzz" -c Release -v quiet -nologo >/dev/null
exec nice -n 10 dotnet "$root/Tests/ModelCompiler.Fuzz/bin/Release/net10.0/modelc-fuzz.dll" "$@"
