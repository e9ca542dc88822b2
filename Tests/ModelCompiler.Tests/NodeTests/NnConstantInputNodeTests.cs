using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Tests.Ops.Nn;
using Xunit;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// The ONNX node tests that feed shape-like tensors (Resize's roi/scales/sizes, Upsample's scales, the
/// reductions' axes) as graph inputs, which <see cref="OnnxNodeTests"/> skips because ModelCompiler compiles
/// static graphs. Here every graph input after the first is turned into an initializer holding the test's
/// value, which is how such a model looks once exported for inference, and the case runs against the
/// expected outputs that ship with it.
/// </summary>
public sealed class NnConstantInputNodeTests
{
    /// <summary>Node-test groups (see <see cref="NodeTestCatalog.GroupOf"/>) whose extra inputs are build-time parameters.</summary>
    private static readonly string[] Groups = { "reduce", "resize", "upsample" };

    /// <summary>Cases that cannot pass, with the reason.</summary>
    private static readonly Dictionary<string, string> Exclusions = new(StringComparer.Ordinal)
    {
    };

    private static readonly Lazy<(List<string> Names, CompiledGroup? Group)> s_group = new(Build);

    private static IEnumerable<NodeCase> Candidates() =>
        NodeTestCatalog.Cases.Values.Where(c => c.Expected is { Compiles: true } && Groups.Contains(c.Group));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Candidates())
        {
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(c.Directory, "model.onnx")));
            if (model.Graph.Input.Count > 1) data.Add("baked " + c.Name);
        }
        if (data.Count == 0) data.Add("(shared test material missing)");
        return data;
    }

    private static (List<string>, CompiledGroup?) Build()
    {
        // Per process, so that concurrent test runs never share files; the group reads everything while it builds.
        string root = Path.Combine(Path.GetTempPath(), "modelcompiler-tests", $"baked-node-tests-{Environment.ProcessId}");
        var cases = new List<NodeCase>();
        foreach (var c in Candidates())
        {
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(c.Directory, "model.onnx")));
            if (model.Graph.Input.Count <= 1) continue;
            string data = Path.Combine(c.Directory, "test_data_set_0");
            var inputs = model.Graph.Input.ToList();
            for (int i = 1; i < inputs.Count; i++)
            {
                var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(data, $"input_{i}.pb")));
                t.Name = inputs[i].Name;
                model.Graph.Initializer.Add(t);
                model.Graph.Input.Remove(inputs[i]);
            }
            var outputs = Directory.GetFiles(data, "output_*.pb").OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => TensorProto.Parser.ParseFrom(File.ReadAllBytes(f))).ToList();
            string dir = Path.Combine(root, c.Name);
            SingleNodeModels.WriteCase(dir, model, new[] { TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(data, "input_0.pb"))) }, outputs);
            cases.Add(c with { Directory = dir, Group = "baked" });
        }
        var group = cases.Count == 0 ? null : CompiledGroup.Build(cases);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        return (cases.Select(c => c.Name).ToList(), group);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_expected_outputs_with_constant_parameters(string display)
    {
        string name = display.StartsWith("baked ", StringComparison.Ordinal) ? display.Substring(6) : display;
        var (names, group) = s_group.Value;
        if (group is null || !names.Contains(name))
        {
            Repo.Shared("onnx-tests/node");
            Assert.Skip("no such node test");
            return;
        }
        bool excluded = Exclusions.TryGetValue(name, out string? reason);
        string? failure = group.Failure(name);
        if (failure is not null)
        {
            if (excluded) Assert.Skip("excluded: " + reason);
            Assert.Fail($"{name} with constant parameters: {failure}");
        }
        var io = group.Io(name);
        try
        {
            var set = io.DataSets[0];
            var outputs = set.Outputs.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
            Adapter.Run(group.Assembly, io.Namespace, set.Inputs.Select(i => (object)i.Data).ToArray(), outputs);
            for (int k = 0; k < outputs.Length; k++)
                Compare.Close(set.Outputs[k].Data, outputs[k], OnnxNodeTests.FloatRtol, OnnxNodeTests.FloatAtol, $"{name} (constant parameters) output {k}");
        }
        catch (Exception e) when (excluded && e is not Xunit.Sdk.SkipException)
        {
            Assert.Skip("excluded: " + reason);
        }
        if (excluded) Assert.Fail($"{name} is excluded ('{reason}') but passes now: remove it from the list.");
    }
}
