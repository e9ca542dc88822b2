using System;
using System.IO;
using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Tests.NodeTests;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The quantized operator fixtures of ../shared/op-fixtures/onnx2c (model.onnx + test_data_set_*: today
/// QLinearAdd and QLinearMul in int8 and uint8, every parameter a graph input), compiled as the node tests are
/// and compared exactly with their stored outputs.
/// </summary>
public sealed class Onnx2cQuantizedFixtureTests
{
    private static readonly string[] QuantizedOps =
    {
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
        "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearSigmoid", "QLinearLeakyRelu",
    };

    private static string Root => Path.Combine(Repo.SharedRoot, "op-fixtures", "onnx2c");

    private static readonly Lazy<NodeCase[]> s_cases = new(() =>
    {
        if (!Directory.Exists(Root)) return Array.Empty<NodeCase>();
        return Directory.GetFiles(Root, "model.onnx", SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName).Select(d => d!)
            .Where(d => Directory.GetDirectories(d, "test_data_set_*").Length > 0)
            .Select(d => (Dir: d, Ops: ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(d, "model.onnx"))).Graph.Node.Select(n => n.OpType).Distinct().ToList()))
            .Where(x => x.Ops.Any(QuantizedOps.Contains))
            .Select(x => new NodeCase("onnx2c_" + Path.GetFileName(x.Dir), x.Dir, "onnx2c-quantized", x.Ops, null))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToArray();
    });

    private static readonly Lazy<CompiledGroup> s_group = new(() => CompiledGroup.Build(s_cases.Value));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_cases.Value) data.Add(c.Name);
        if (data.Count == 0) data.Add("(shared test material missing)");
        return data;
    }

    [Fact]
    public void Finds_the_quantized_fixtures()
    {
        Repo.Shared("op-fixtures/onnx2c");
        Assert.True(s_cases.Value.Length >= 4, $"found {s_cases.Value.Length} quantized onnx2c fixtures");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_stored_outputs_exactly(string name)
    {
        var c = s_cases.Value.FirstOrDefault(x => x.Name == name);
        if (c is null)
        {
            Repo.Shared("op-fixtures/onnx2c");
            Assert.Skip("no quantized fixtures");
            return;
        }
        var group = s_group.Value;
        Assert.True(group.Failure(name) is null, $"{name}: {group.Failure(name)}");
        var io = group.Io(name);
        for (int s = 0; s < io.DataSets.Count; s++)
        {
            var set = io.DataSets[s];
            var outputs = set.Outputs.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
            Adapter.Run(group.Assembly, io.Namespace, set.Inputs.Select(i => (object)i.Data).ToArray(), outputs);
            for (int k = 0; k < outputs.Length; k++)
                Compare.Exact(set.Outputs[k].Data, outputs[k], $"{name} data set {s} output {k}");
        }
    }
}
