using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Generated Predict methods take spans, which reflection cannot pass. For each model under test we
/// compile a tiny adapter class beside it that takes arrays (boxed as object) and forwards them.
/// </summary>
public static class Adapter
{
    /// <summary>Source of <c>{ns}.Adapter.Run(object[] inputs, object[] outputs)</c> calling <c>{ns}.{cls}.Predict</c>.</summary>
    /// <param name="bounded">
    /// Per output, null or (capacity elements, elements per row) for an output whose row count depends on the
    /// data (NonMaxSuppression): the adapter passes Predict a buffer of the capacity and copies the rows Predict
    /// reports into the caller's array, which must have exactly that many rows (else it throws).
    /// </param>
    public static string Source(string ns, string cls, IReadOnlyList<string> inputTypes, IReadOnlyList<string> outputTypes,
        IReadOnlyList<(long Capacity, long Row)?>? bounded = null)
    {
        var body = new List<string>();
        var args = inputTypes.Select((t, i) => $"({t}[])inputs[{i}]").ToList();
        var counts = new List<string>();
        for (int i = 0; i < outputTypes.Count; i++)
        {
            if (bounded?[i] is not { } b)
            {
                args.Add($"({outputTypes[i]}[])outputs[{i}]");
                continue;
            }
            body.Add($"var bounded{i} = new {outputTypes[i]}[{b.Capacity}];");
            args.Add($"bounded{i}");
            counts.Add($"out int count{i}");
        }
        body.Add($"global::{ns}.{cls}.Predict({string.Join(", ", args.Concat(counts))});");
        for (int i = 0; i < outputTypes.Count; i++)
        {
            if (bounded?[i] is not { } b) continue;
            body.Add($"var expected{i} = (({outputTypes[i]}[])outputs[{i}]).Length;");
            body.Add($"if (count{i} * {b.Row} != expected{i}) throw new global::System.InvalidOperationException($\"output {i} has {{count{i}}} rows, the expected output {{expected{i} / {b.Row}}}\");");
            body.Add($"global::System.Array.Copy(bounded{i}, (global::System.Array)outputs[{i}], expected{i});");
        }
        return $"namespace {ns}\n{{\n    public static class Adapter\n    {{\n        public static void Run(object[] inputs, object[] outputs)\n        {{\n"
            + string.Concat(body.Select(l => "            " + l + "\n")) + "        }\n    }\n}\n";
    }

    /// <summary>The <c>bounded</c> argument of <see cref="Source"/> for a compiled model.</summary>
    internal static IReadOnlyList<(long Capacity, long Row)?> Bounded(ModelCompiler.Compilation.CompileResult result) =>
        result.Outputs.Select(o => o.Bounded ? ((long, long)?)(o.Length, o.Shape.Length > 0 && o.Shape[0] > 0 ? o.Length / o.Shape[0] : o.Shape.Skip(1).Aggregate(1L, (a, d) => a * d)) : null).ToList();

    /// <summary>Calls the adapter in <paramref name="assembly"/>; exceptions from the model are unwrapped.</summary>
    public static void Run(Assembly assembly, string ns, object[] inputs, object[] outputs)
    {
        var method = assembly.GetType(ns + ".Adapter", throwOnError: true)!.GetMethod("Run")!;
        try { method.Invoke(null, new object[] { inputs, outputs }); }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
    }

    public static Array NewArray(string csharpType, int length) => csharpType switch
    {
        "float" => new float[length],
        "double" => new double[length],
        "global::System.Half" => new Half[length],
        "long" => new long[length],
        "int" => new int[length],
        "short" => new short[length],
        "ushort" => new ushort[length],
        "sbyte" => new sbyte[length],
        "byte" => new byte[length],
        "uint" => new uint[length],
        "ulong" => new ulong[length],
        "bool" => new bool[length],
        _ => throw new NotSupportedException(csharpType),
    };
}
