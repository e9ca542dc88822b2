using System;
using System.Collections.Generic;
using Bench.Models;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// Keyword spotting: MFCC-like features [1, 49, 10] -> two GRU layers of 64 units -> 12 classes (1.9 M MACs, 98
/// sequential steps). Small sequential models are where ONNX Runtime's per-node and per-step overhead shows most.
/// </summary>
[Model("KWS GRU (2 x 64, 49 steps)", KeywordSpotterGru.Macs, KeywordSpotterGru.ScratchBytes), Flops(2 * KeywordSpotterGru.Macs)]
public class KwsGruBenchmark : ModelBenchmark
{
    protected override string ModelPath => MetadataPath("KwsGruModelPath");
    protected override int[] InputShape => KeywordSpotterGru.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { KeywordSpotterGru.OutputShape.ToArray() };
    protected override void Predict() => KeywordSpotterGru.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => KeywordSpotterGru.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => KeywordSpotterGru.LayerNames;
}
