using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Elementwise;

/// <summary>
/// The element-wise ops against ONNX Runtime on what the ONNX node tests leave out: every Cast pair, every
/// integer width, broadcasting of three differently shaped inputs, NaN, wrapping, limits, run-time Clip
/// bounds. Each case runs three ways: all inputs at run time, input 0 at run time and the others as weights,
/// and all inputs constant (the node is folded at build time). Float results within 1e-6 + 1e-4 * |expected|
/// (float16: 1e-3 relative), everything else exact.
/// </summary>
public sealed class ElementwiseOrtTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in ElementwiseCases.All)
        {
            data.Add(c.Name, "runtime");
            if (c.Inputs.Count > 1) data.Add(c.Name, "weights");
            data.Add(c.Name, "folded");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime(string name, string mode)
    {
        var c = ElementwiseCases.All.Single(k => k.Name == name);
        var (expected, missing) = c.RunOnnxRuntime();
        if (expected is null)
        {
            Assert.Skip("ONNX Runtime has no kernel for this case: " + missing);
            return;
        }
        int firstConstant = mode switch { "runtime" => c.Inputs.Count, "weights" => 1, _ => 0 };
        var compiled = s_compiled.Value;
        string key = name + "/" + mode;
        if (compiled.Failures.TryGetValue(key, out string? failure)) Assert.Fail($"{key}: {failure}");

        var outputs = expected.Select(e => Adapter.NewArray(CSharp(e), e.Length)).ToArray();
        Adapter.Run(compiled.Assembly!, Namespace(name, mode), c.RuntimeInputs(firstConstant).Select(i => (object)i.Data).ToArray(), outputs);
        for (int k = 0; k < outputs.Length; k++)
        {
            Assert.Equal(expected[k].GetType(), outputs[k].GetType());
            double rtol = expected[k] is Half[] ? 1e-3 : 1e-4;
            Compare.Close(expected[k], outputs[k], rtol, 1e-6, $"{key} output {k}");
        }
    }

    private sealed record Compiled(Assembly? Assembly, Dictionary<string, string> Failures);

    private static readonly Lazy<Compiled> s_compiled = new(() =>
    {
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var units = new Dictionary<string, List<InMemoryCompiler.Unit>>(StringComparer.Ordinal);
        foreach (var c in ElementwiseCases.All)
        {
            foreach (var mode in new[] { "runtime", "weights", "folded" })
            {
                if (mode == "weights" && c.Inputs.Count < 2) continue;
                int firstConstant = mode switch { "runtime" => c.Inputs.Count, "weights" => 1, _ => 0 };
                string key = c.Name + "/" + mode, ns = Namespace(c.Name, mode);
                try
                {
                    var (result, unit) = InMemoryCompiler.Generate(c.Model(firstConstant), ns, fileName: c.Name + ".onnx");
                    if (unit is null) { failures[key] = "ModelCompiler reported: " + string.Join("; ", result.Diagnostics); continue; }
                    var inputs = c.RuntimeInputs(firstConstant).Select(i => i.Type.CSharpName()!).ToList();
                    var outputs = c.OutputTypes.Select(t => ((DataType)t).CSharpName()!).ToList();
                    units[key] = new List<InMemoryCompiler.Unit> { unit, new(ns + ".Adapter", Adapter.Source(ns, "Model", inputs, outputs)) };
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failures[key] = $"{e.GetType().Name}: {e.Message}";
                }
            }
        }
        // Cases whose generated code has errors are set aside with their errors and the rest recompiled.
        Assembly? assembly = null;
        for (int attempt = 0; attempt < 3 && units.Count > 0 && assembly is null; attempt++)
        {
            var compiled = InMemoryCompiler.Compile(units.Values.SelectMany(u => u));
            assembly = compiled.Assembly;
            if (assembly is not null) break;
            var bad = compiled.Errors
                .Select(d => (Diagnostic: d, Key: units.FirstOrDefault(u => u.Value.Any(x => x.Name + ".cs" == d.Location.SourceTree?.FilePath)).Key))
                .Where(x => x.Key is not null).GroupBy(x => x.Key!).ToList();
            if (bad.Count == 0)
            {
                foreach (var key in units.Keys) failures[key] = "generated C# does not compile: " + string.Join("; ", compiled.Errors.Take(3));
                break;
            }
            foreach (var b in bad)
            {
                failures[b.Key] = "generated C# has errors: " + string.Join("; ", b.Select(x => x.Diagnostic.ToString()).Take(3));
                units.Remove(b.Key);
            }
        }
        return new Compiled(assembly, failures);
    });

    private static string Namespace(string name, string mode) => "OrtTests." + char.ToUpperInvariant(mode[0]) + mode.Substring(1) + "." + name;

    private static string CSharp(Array a) => ((DataType)ElementType(a)).CSharpName()!;

    /// <summary>The ONNX element type of a typed array (by its exact type: the CLR lets byte[] pass as sbyte[]).</summary>
    internal static int ElementType(Array a)
    {
        var t = a.GetType().GetElementType()!;
        DataType d = t == typeof(float) ? DataType.Float : t == typeof(double) ? DataType.Double : t == typeof(Half) ? DataType.Float16
            : t == typeof(sbyte) ? DataType.Int8 : t == typeof(byte) ? DataType.UInt8 : t == typeof(short) ? DataType.Int16
            : t == typeof(ushort) ? DataType.UInt16 : t == typeof(int) ? DataType.Int32 : t == typeof(uint) ? DataType.UInt32
            : t == typeof(long) ? DataType.Int64 : t == typeof(ulong) ? DataType.UInt64 : t == typeof(bool) ? DataType.Bool
            : throw new NotSupportedException(t.Name);
        return (int)d;
    }
}
