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
    public static string Source(string ns, string cls, IReadOnlyList<string> inputTypes, IReadOnlyList<string> outputTypes)
    {
        var args = inputTypes.Select((t, i) => $"({t}[])inputs[{i}]")
            .Concat(outputTypes.Select((t, i) => $"({t}[])outputs[{i}]"));
        return $"namespace {ns}\n{{\n    public static class Adapter\n    {{\n        public static void Run(object[] inputs, object[] outputs) => global::{ns}.{cls}.Predict({string.Join(", ", args)});\n    }}\n}}\n";
    }

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
