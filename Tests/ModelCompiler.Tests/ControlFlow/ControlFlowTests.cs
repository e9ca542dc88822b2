using System;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using static ModelCompiler.Tests.Infrastructure.OrtCheck;

namespace ModelCompiler.Tests.ControlFlow;

/// <summary>
/// If, Loop and Scan built in C#, each against ONNX Runtime (float outputs within 1e-6 + 1e-4 |expected|): subgraphs
/// reading outer weights and computed values, loop-carried values, scan outputs on inner axes and reversed,
/// run-time trip counts and conditions, nesting two scopes deep; and the static-shape rules (a build-time condition
/// folds to its branch; what cannot have static shapes is MC0008, or an exception at run time for a declared count).
/// </summary>
public sealed class ControlFlowTests
{
    [Fact]
    public void If_runs_the_branch_the_condition_picks()
    {
        byte[] bytes = ControlFlowModels.IfWithCaptures();
        var model = TypedModel.Compile(bytes, "If");
        Assert.Matches(@"L\d+_If_Then\(", model.Source);
        Assert.Matches(@"L\d+_If_Else\(", model.Source);
        foreach (bool flag in new[] { true, false })
            Matches(model, bytes, $"If, condition {flag}", Floats("x", new[] { 2, 3 }, 7), Flag("flag", flag));
    }

    [Fact]
    public void If_with_a_build_time_condition_folds_to_its_branch()
    {
        foreach (bool condition in new[] { true, false })
        {
            byte[] bytes = ControlFlowModels.IfWithConstantCondition(condition);
            var model = TypedModel.Compile(bytes, "IfConst");
            Assert.DoesNotContain("If", Regex.Matches(model.Source, @"private static void (\w+)\(").Select(m => m.Groups[1].Value));
            Assert.Contains(condition ? "Relu" : "Neg", model.Source);
            Matches(model, bytes, $"If folded to {(condition ? "then" : "else")}", Floats("x", new[] { 2, 3 }, 8));
        }
    }

    [Fact]
    public void If_branches_of_different_shapes_need_a_build_time_condition()
    {
        var (result, _) = InMemoryCompiler.Generate(ControlFlowModels.IfWithDifferentShapes(), "CF.IfShapes");
        var error = Assert.Single(result.Diagnostics, d => d.Id == "MC0008");
        Assert.Contains("'if'", error.Message);
        Assert.Contains("both branches must agree", error.Message);
    }

    [Fact]
    public void Loop_with_a_constant_trip_count_keeps_carried_values_and_stacks_scan_outputs()
    {
        byte[] bytes = ControlFlowModels.LoopWithScanOutputs(5);
        var model = TypedModel.Compile(bytes, "Loop");
        Assert.Equal(new[] { 5, 4 }, model.Result.Outputs[1].Shape);
        Assert.Matches(@"L\d+_Loop_Body\(", model.Source);
        Matches(model, bytes, "Loop x5", Floats("x", new[] { 4 }, 9), Floats("acc0", new[] { 4 }, 10));
    }

    [Fact]
    public void Loop_with_a_run_time_trip_count_and_condition_stops_where_onnx_runtime_does()
    {
        byte[] bytes = ControlFlowModels.LoopWithRuntimeCount();
        var model = TypedModel.Compile(bytes, "LoopRuntime");
        // Stopped by the trip count (0, 1, 3), by the condition (sum reaches 40 after a few steps), or not started.
        foreach (var (trips, go) in new[] { (0L, true), (1L, true), (3L, true), (100L, true), (100L, false) })
            Matches(model, bytes, $"Loop M={trips} cond={go}", Count("M", trips), Flag("go", go), Floats("v0", new[] { 3 }, 11));
    }

    [Fact]
    public void Loop_scan_outputs_need_a_static_iteration_count()
    {
        var (result, _) = InMemoryCompiler.Generate(ControlFlowModels.LoopWithRuntimeCountAndScan(null), "CF.LoopDynamic");
        var error = Assert.Single(result.Diagnostics, d => d.Id == "MC0008");
        Assert.Contains("'loop'", error.Message);
        Assert.Contains("number of iterations", error.Message);
    }

    [Fact]
    public void A_declared_iteration_count_is_checked_at_run_time()
    {
        byte[] bytes = ControlFlowModels.LoopWithRuntimeCountAndScan(3);
        var model = TypedModel.Compile(bytes, "LoopDeclared");
        Matches(model, bytes, "Loop M=3 (declared 3 rows)", Count("M", 3), Floats("v0", new[] { 2 }, 12));
        var e = Assert.Throws<InvalidOperationException>(() => model.RunTyped(new Array[] { new[] { 4L }, new float[2] }));
        Assert.Contains("compiled for exactly 3", e.Message);
        Assert.Throws<InvalidOperationException>(() => model.RunTyped(new Array[] { new[] { 2L }, new float[2] }));
    }

    [Fact]
    public void Scan_slices_inner_axes_in_both_directions()
    {
        byte[] bytes = ControlFlowModels.ScanWithAxes();
        var model = TypedModel.Compile(bytes, "Scan");
        Assert.Contains("ScanSlices.Gather", model.Source);
        Assert.Contains("ScanSlices.Scatter", model.Source);
        Matches(model, bytes, "Scan axes (1 reversed, 0)", Floats("s0", new[] { 3, 2 }, 13), Floats("x", new[] { 3, 5, 2 }, 14), Floats("w", new[] { 5, 2 }, 15));
    }

    [Fact]
    public void Scan_at_opset_8_runs_each_batch_element()
    {
        byte[] bytes = ControlFlowModels.ScanOpset8();
        var model = TypedModel.Compile(bytes, "Scan8");
        Matches(model, bytes, "Scan-8", Floats("s0", new[] { 2, 3 }, 16), Floats("x", new[] { 2, 4, 3 }, 17));
    }

    [Fact]
    public void Nested_control_flow_reads_values_two_scopes_out()
    {
        byte[] bytes = ControlFlowModels.LoopWithNestedIf();
        var model = TypedModel.Compile(bytes, "Nested");
        Assert.Matches(@"L\d+_Loop_Body_L\d+_If_Then\(", model.Source);
        Matches(model, bytes, "Loop with an If inside", Floats("h0", new[] { 1, 4 }, 18));
    }

    [Fact]
    public void An_unsupported_op_in_a_body_is_reported_by_name()
    {
        var (result, _) = InMemoryCompiler.Generate(ControlFlowModels.LoopWithUnsupportedBodyOp(), "CF.Unsupported");
        var error = Assert.Single(result.Diagnostics, d => d.Id == "MC0003");
        Assert.Contains("mystery", error.Message);
        Assert.Contains("NoSuchOp", error.Message);
    }

    [Fact]
    public void A_refiner_loop_with_a_choice_of_head_matches_onnx_runtime()
    {
        byte[] bytes = ControlFlowModels.RefinerWithHeads();
        var model = TypedModel.Compile(bytes, "Refiner");
        foreach (bool classifier in new[] { true, false })
            Matches(model, bytes, $"refiner, classifier head {classifier}", Floats("x", new[] { 1, 16 }, 19), Flag("use_classifier", classifier));
    }

    [Fact]
    public void Control_flow_layers_allocate_nothing_in_steady_state()
    {
        var model = ModelCompiler.Tests.Runtime.CompiledModel.Compile(ControlFlowModels.LoopWithNestedIf(trace: false), "CF.Allocation");
        var input = OnnxModelBuilder.RandomFloats(4, 20);
        Assert.Equal(0, model.SteadyAllocatedBytes(input, new float[4], 100));
    }
}
