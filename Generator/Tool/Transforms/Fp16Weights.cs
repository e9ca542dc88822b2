using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Transforms;

/// <summary>What the float16 conversion did.</summary>
internal sealed record Fp16Result(int Converted, long Elements, int KeptFloat32, double MaxRelativeError);

/// <summary>
/// float16 weight storage with float32 compute: every float32 initializer of two or more elements becomes a float16
/// initializer <c>NAME_fp16</c> and a <c>Cast(to=FLOAT)</c> node whose output takes the original name, so every
/// layer still sees float32 (ModelCompiler widens such weights once, at first use; ONNX Runtime casts them). Tensors
/// with values beyond float16's range (|x| > 65504) stay float32. Rounding to float16 is round-to-nearest-even.
/// </summary>
internal static class Fp16Weights
{
    public static Fp16Result Convert(OnnxModel model)
    {
        var outputs = model.Graph.Output.Select(o => o.Name).ToHashSet();
        var casts = new List<NodeProto>();
        int converted = 0, kept = 0;
        long elements = 0;
        double maxRelative = 0;
        foreach (var t in model.Graph.Initializer.ToList())
        {
            if (t.DataType != (int)TensorProto.Types.DataType.Float || outputs.Contains(t.Name)) continue;
            var values = model.FloatInitializer(t.Name)!;
            if (values.Length < 2 || model.ReaderCount(t.Name) == 0) continue;
            if (values.Any(v => Math.Abs(v) > 65504f))
            {
                kept++;
                continue;
            }
            int[] shape = OnnxModel.Dims(t);
            string half = model.UniqueName(t.Name + "_fp16");
            model.Graph.Initializer.Remove(t);
            foreach (var input in model.Graph.Input.Where(i => i.Name == t.Name).ToList()) model.Graph.Input.Remove(input);
            model.Graph.Initializer.Add(OnnxModel.Float16Tensor(half, shape, values));
            var cast = OnnxModel.Node("Cast", model.UniqueName(t.Name + "_Cast"), new[] { half }, new[] { t.Name });
            cast.Attribute.Add(OnnxModel.IntAttribute("to", (int)TensorProto.Types.DataType.Float));
            casts.Add(cast);
            foreach (float v in values)
            {
                float back = (float)(Half)v;
                if (v != 0) maxRelative = Math.Max(maxRelative, Math.Abs(back - v) / Math.Abs(v));
            }
            converted++;
            elements += values.Length;
        }
        for (int i = casts.Count - 1; i >= 0; i--) model.Graph.Node.Insert(0, casts[i]);
        return new Fp16Result(converted, elements, kept, maxRelative);
    }
}
