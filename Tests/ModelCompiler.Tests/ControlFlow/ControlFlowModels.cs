using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.ControlFlow;

/// <summary>
/// Small models with If, Loop and Scan built in C#: subgraphs that read outer values (weights and computed
/// tensors), loop-carried values, scan outputs, run-time and build-time conditions and trip counts, nesting.
/// </summary>
internal static class ControlFlowModels
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;
    public const int Bool = (int)TensorProto.Types.DataType.Bool;

    private static NodeProto Node(OnnxModelBuilder b, string op, string[] inputs, string[] outputs, string name, params (string Name, object Value)[] attributes)
    {
        var n = b.RawNode(op, inputs, outputs, name);
        foreach (var (k, v) in attributes) n.Attribute.Add(OnnxModelBuilder.Attribute(k, v));
        return n;
    }

    private static void BoolInitializer(OnnxModelBuilder b, string name, bool value)
    {
        var t = new TensorProto { Name = name, DataType = Bool };
        t.Int32Data.Add(value ? 1 : 0);
        b.Graph.Initializer.Add(t);
    }

    private static void Int64Scalar(OnnxModelBuilder b, string name, long value)
    {
        var t = new TensorProto { Name = name, DataType = Int64 };
        t.Int64Data.Add(value);
        b.Graph.Initializer.Add(t);
    }

    /// <summary>
    /// x[2,3], flag: y = flag ? MatMul(x, W) + Sigmoid(x) : Tanh(x) * 2. The then branch reads the outer weight W
    /// and the outer computed Sigmoid(x); the else branch has its own constant.
    /// </summary>
    public static byte[] IfWithCaptures()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 2, 3);
        b.Input("flag", Bool, System.Array.Empty<int>());
        b.Initializer("W", new[] { 3, 3 }, OnnxModelBuilder.RandomFloats(9, 41));
        b.Node("Sigmoid", new[] { "x" }, "s", "outer_sigmoid");

        var then = new OnnxModelBuilder();
        then.Graph.Name = "then";
        then.Node("MatMul", new[] { "x", "W" }, "mm", "then_matmul");
        then.Node("Add", new[] { "mm", "s" }, "then_y", "then_add");
        then.Output("then_y", Float, new[] { 2, 3 });

        var otherwise = new OnnxModelBuilder();
        otherwise.Graph.Name = "else";
        otherwise.Initializer("two", System.Array.Empty<int>(), new[] { 2f });
        otherwise.Node("Tanh", new[] { "x" }, "t", "else_tanh");
        otherwise.Node("Mul", new[] { "t", "two" }, "else_y", "else_mul");
        otherwise.Output("else_y", Float, new[] { 2, 3 });

        Node(b, "If", new[] { "flag" }, new[] { "y" }, "if", ("then_branch", then.Graph), ("else_branch", otherwise.Graph));
        b.Output("y", Float, new[] { 2, 3 });
        return b.Build();
    }

    /// <summary>
    /// An If whose condition is an initializer (true): the model compiles to the then branch alone, even though the
    /// branches' shapes differ ([2,3] against [6]).
    /// </summary>
    public static byte[] IfWithConstantCondition(bool condition = true)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 2, 3);
        BoolInitializer(b, "always", condition);
        var then = new OnnxModelBuilder();
        then.Node("Relu", new[] { "x" }, "then_y", "then_relu");
        then.Output("then_y", Float, new[] { 2, 3 });
        var otherwise = new OnnxModelBuilder();
        otherwise.Int64Initializer("flat", 6);
        otherwise.Node("Reshape", new[] { "x", "flat" }, "else_y", "else_reshape");
        otherwise.Output("else_y", Float, new[] { 6 });
        Node(b, "If", new[] { "always" }, new[] { "y" }, "if", ("then_branch", then.Graph), ("else_branch", otherwise.Graph));
        b.Node("Neg", new[] { "y" }, "z", "after");
        b.Output("z", Float);
        return b.Build();
    }

    /// <summary>The same with a run-time condition: the branches' different shapes cannot be compiled (MC0008).</summary>
    public static byte[] IfWithDifferentShapes()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 2, 3);
        b.Input("flag", Bool, System.Array.Empty<int>());
        var then = new OnnxModelBuilder();
        then.Node("Relu", new[] { "x" }, "then_y", "then_relu");
        then.Output("then_y", Float, new[] { 2, 3 });
        var otherwise = new OnnxModelBuilder();
        otherwise.Int64Initializer("flat", 6);
        otherwise.Node("Reshape", new[] { "x", "flat" }, "else_y", "else_reshape");
        otherwise.Output("else_y", Float, new[] { 6 });
        Node(b, "If", new[] { "flag" }, new[] { "y" }, "if", ("then_branch", then.Graph), ("else_branch", otherwise.Graph));
        b.Output("y", Float);
        return b.Build();
    }

    /// <summary>
    /// Loop over a constant trip count: acc = acc + x * iteration (x read from the outer graph), scan output
    /// Tanh(acc) per iteration. x[4], acc0[4] -> final acc[4], rows[trips, 4].
    /// </summary>
    public static byte[] LoopWithScanOutputs(long trips = 5)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 4);
        b.Input("acc0", 4);
        Int64Scalar(b, "M", trips);
        BoolInitializer(b, "go", true);
        var body = new OnnxModelBuilder();
        body.Graph.Name = "accumulate";
        body.Input("i", Int64, System.Array.Empty<int>());
        body.Input("cond_in", Bool, System.Array.Empty<int>());
        body.Input("acc_in", Float, new[] { 4 });
        Node(body, "Cast", new[] { "i" }, new[] { "i_f" }, "cast", ("to", (int)Float));
        body.Node("Mul", new[] { "x", "i_f" }, "step", "scale");
        body.Node("Add", new[] { "acc_in", "step" }, "acc_out", "accumulate");
        body.Node("Tanh", new[] { "acc_out" }, "row", "squash");
        body.Node("Identity", new[] { "cond_in" }, "cond_out", "keep_going");
        body.Output("cond_out", Bool, System.Array.Empty<int>());
        body.Output("acc_out", Float, new[] { 4 });
        body.Output("row", Float, new[] { 4 });
        Node(b, "Loop", new[] { "M", "go", "acc0" }, new[] { "acc", "rows" }, "loop", ("body", body.Graph));
        b.Output("acc", Float, new[] { 4 });
        b.Output("rows", Float);
        return b.Build();
    }

    /// <summary>
    /// Loop with a run-time trip count and condition and no scan outputs: v = v * 1.5 + 1 while sum(v) &lt; limit.
    /// Inputs M (int64 scalar), go (bool scalar), v0[3].
    /// </summary>
    public static byte[] LoopWithRuntimeCount()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("M", Int64, System.Array.Empty<int>());
        b.Input("go", Bool, System.Array.Empty<int>());
        b.Input("v0", 3);
        b.Initializer("limit", System.Array.Empty<int>(), new[] { 40f });
        var body = new OnnxModelBuilder();
        body.Input("i", Int64, System.Array.Empty<int>());
        body.Input("cond_in", Bool, System.Array.Empty<int>());
        body.Input("v_in", Float, new[] { 3 });
        body.Initializer("k", System.Array.Empty<int>(), new[] { 1.5f });
        body.Initializer("one", System.Array.Empty<int>(), new[] { 1f });
        body.Node("Mul", new[] { "v_in", "k" }, "scaled", "scale");
        body.Node("Add", new[] { "scaled", "one" }, "v_out", "shift");
        Node(body, "ReduceSum", new[] { "v_out" }, new[] { "total" }, "total", ("keepdims", 0));
        body.Node("Less", new[] { "total", "limit" }, "cond_out", "below_limit");
        body.Output("cond_out", Bool, System.Array.Empty<int>());
        body.Output("v_out", Float, new[] { 3 });
        Node(b, "Loop", new[] { "M", "go", "v0" }, new[] { "v" }, "loop", ("body", body.Graph));
        b.Output("v", Float, new[] { 3 });
        return b.Build();
    }

    /// <summary>
    /// A run-time trip count with a scan output: the output's first dimension is the iteration count, so it must
    /// be declared (<paramref name="declaredRows"/>, checked at run time) or the model cannot compile.
    /// </summary>
    public static byte[] LoopWithRuntimeCountAndScan(int? declaredRows)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("M", Int64, System.Array.Empty<int>());
        b.Input("v0", 2);
        var body = new OnnxModelBuilder();
        body.Input("i", Int64, System.Array.Empty<int>());
        body.Input("cond_in", Bool, System.Array.Empty<int>());
        body.Input("v_in", Float, new[] { 2 });
        body.Node("Neg", new[] { "v_in" }, "v_out", "flip");
        body.Node("Identity", new[] { "cond_in" }, "cond_out", "keep_going");
        body.Output("cond_out", Bool, System.Array.Empty<int>());
        body.Node("Identity", new[] { "v_out" }, "v_row", "record");
        body.Output("v_out", Float, new[] { 2 });
        body.Output("v_row", Float, new[] { 2 });
        Node(b, "Loop", new[] { "M", "", "v0" }, new[] { "v", "history" }, "loop", ("body", body.Graph));
        b.Output("v", Float, new[] { 2 });
        b.Output("history", Float, declaredRows is { } n ? new[] { n, 2 } : new[] { -1, 2 });
        return b.Build();
    }

    /// <summary>
    /// Scan (opset 11) over axis 1 of x[3,5,2] (reversed) and axis 0 of w[5,2]: state s[3,2] += x slice * w slice;
    /// two scan outputs, one stacked on axis 1 in reverse, one on axis 0.
    /// </summary>
    public static byte[] ScanWithAxes()
    {
        var b = new OnnxModelBuilder(opset: 11);
        b.Input("s0", 3, 2);
        b.Input("x", 3, 5, 2);
        b.Input("w", 5, 2);
        var body = new OnnxModelBuilder();
        body.Input("s_in", Float, new[] { 3, 2 });
        body.Input("x_t", Float, new[] { 3, 2 });
        body.Input("w_t", Float, new[] { 2 });
        body.Node("Mul", new[] { "x_t", "w_t" }, "p", "weigh");
        body.Node("Add", new[] { "s_in", "p" }, "s_out", "accumulate");
        body.Node("Sigmoid", new[] { "s_out" }, "o1", "squash");
        Node(body, "ReduceSum", new[] { "p" }, new[] { "o2" }, "total", ("axes", new long[] { 0 }), ("keepdims", 0));
        body.Output("s_out", Float, new[] { 3, 2 });
        body.Output("o1", Float, new[] { 3, 2 });
        body.Output("o2", Float, new[] { 2 });
        Node(b, "Scan", new[] { "s0", "x", "w" }, new[] { "s", "y1", "y2" }, "scan", ("body", body.Graph), ("num_scan_inputs", 2),
            ("scan_input_axes", new long[] { 1, 0 }), ("scan_input_directions", new long[] { 1, 0 }),
            ("scan_output_axes", new long[] { 1, 0 }), ("scan_output_directions", new long[] { 1, 0 }));
        b.Output("s", Float, new[] { 3, 2 });
        b.Output("y1", Float);
        b.Output("y2", Float);
        return b.Build();
    }

    /// <summary>Scan at opset 8: batch axis 0, scan axis 1, one input reversed; x[2,4,3], state[2,3].</summary>
    public static byte[] ScanOpset8()
    {
        var b = new OnnxModelBuilder(opset: 8);
        b.Input("s0", 2, 3);
        b.Input("x", 2, 4, 3);
        var body = new OnnxModelBuilder();
        body.Input("s_in", Float, new[] { 3 });
        body.Input("x_t", Float, new[] { 3 });
        body.Node("Max", new[] { "s_in", "x_t" }, "s_out", "running_max");
        body.Node("Sub", new[] { "x_t", "s_in" }, "gap", "gap");
        body.Output("s_out", Float, new[] { 3 });
        body.Output("gap", Float, new[] { 3 });
        Node(b, "Scan", new[] { "", "s0", "x" }, new[] { "s", "gaps" }, "scan", ("body", body.Graph), ("num_scan_inputs", 1), ("directions", new long[] { 1 }));
        b.Output("s", Float, new[] { 2, 3 });
        b.Output("gaps", Float, new[] { 2, 4, 3 });
        return b.Build();
    }

    /// <summary>
    /// Nested control flow: a Loop (4 iterations) whose body holds an If on the iteration's parity; the branches
    /// read the Loop body's value and the model's weight W (two scopes out).
    /// </summary>
    public static byte[] LoopWithNestedIf(bool trace = true)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("h0", 1, 4);
        Int64Scalar(b, "M", 4);
        b.Initializer("W", new[] { 4, 4 }, OnnxModelBuilder.RandomFloats(16, 43).Select(v => v * 0.5f).ToArray());
        b.Int64Initializer("two", 2);

        var then = new OnnxModelBuilder();
        then.Node("MatMul", new[] { "h_in", "W" }, "t_mm", "even_matmul");
        then.Node("Tanh", new[] { "t_mm" }, "t_y", "even_tanh");
        then.Output("t_y", Float, new[] { 1, 4 });
        var otherwise = new OnnxModelBuilder();
        otherwise.Node("Sigmoid", new[] { "h_in" }, "e_y", "odd_sigmoid");
        otherwise.Output("e_y", Float, new[] { 1, 4 });

        var body = new OnnxModelBuilder();
        body.Input("i", Int64, System.Array.Empty<int>());
        body.Input("cond_in", Bool, System.Array.Empty<int>());
        body.Input("h_in", Float, new[] { 1, 4 });
        body.Initializer("zero", System.Array.Empty<int>(), new[] { 0f });
        body.Node("Mod", new[] { "i", "two" }, "parity", "parity");
        Node(body, "Cast", new[] { "parity" }, new[] { "parity_f" }, "parity_f", ("to", (int)Float));
        body.Node("Equal", new[] { "parity_f", "zero" }, "even", "is_even");
        Node(body, "If", new[] { "even" }, new[] { "h_out" }, "step", ("then_branch", then.Graph), ("else_branch", otherwise.Graph));
        body.Node("Identity", new[] { "cond_in" }, "cond_out", "keep_going");
        body.Output("cond_out", Bool, System.Array.Empty<int>());
        body.Output("h_out", Float, new[] { 1, 4 });
        if (trace)
        {
            body.Node("Identity", new[] { "h_out" }, "h_row", "record");
            body.Output("h_row", Float, new[] { 1, 4 });
        }
        Node(b, "Loop", new[] { "M", "", "h0" }, trace ? new[] { "h", "trace" } : new[] { "h" }, "loop", ("body", body.Graph));
        b.Output("h", Float, new[] { 1, 4 });
        if (trace) b.Output("trace", Float, new[] { 4, 1, 4 });
        return b.Build();
    }

    /// <summary>A Loop body with an operator ModelCompiler lacks: MC0003 names the body's node.</summary>
    public static byte[] LoopWithUnsupportedBodyOp()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("v0", 2);
        Int64Scalar(b, "M", 2);
        var body = new OnnxModelBuilder();
        body.Input("i", Int64, System.Array.Empty<int>());
        body.Input("cond_in", Bool, System.Array.Empty<int>());
        body.Input("v_in", Float, new[] { 2 });
        body.Node("Identity", new[] { "cond_in" }, "cond_out", "keep_going");
        body.Node("NoSuchOp", new[] { "v_in" }, "v_out", "mystery");
        body.Output("cond_out", Bool, System.Array.Empty<int>());
        body.Output("v_out", Float, new[] { 2 });
        Node(b, "Loop", new[] { "M", "", "v0" }, new[] { "v" }, "loop", ("body", body.Graph));
        b.Output("v", Float, new[] { 2 });
        return b.Build();
    }

    /// <summary>
    /// An iterative refiner with a choice of head, as control flow is used in small models: h = Tanh(h W + b)
    /// three times in a Loop (weights read from the outer graph, every step's h kept as a scan output), then an If
    /// on a run-time flag picks a Softmax classifier head or a Sigmoid detector head. x[1,16], flag -> y[1,8], steps[3,1,16].
    /// </summary>
    public static byte[] RefinerWithHeads()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 16);
        b.Input("use_classifier", Bool, System.Array.Empty<int>());
        Int64Scalar(b, "steps", 3);
        b.Initializer("W", new[] { 16, 16 }, OnnxModelBuilder.RandomFloats(256, 51).Select(v => v * 0.4f).ToArray());
        b.Initializer("bias", new[] { 16 }, OnnxModelBuilder.RandomFloats(16, 52).Select(v => v * 0.1f).ToArray());
        b.Initializer("Wc", new[] { 16, 8 }, OnnxModelBuilder.RandomFloats(128, 53));
        b.Initializer("Wd", new[] { 16, 8 }, OnnxModelBuilder.RandomFloats(128, 54));

        var body = new OnnxModelBuilder();
        body.Graph.Name = "refine";
        body.Input("i", Int64, System.Array.Empty<int>());
        body.Input("cond_in", Bool, System.Array.Empty<int>());
        body.Input("h_in", Float, new[] { 1, 16 });
        body.Node("MatMul", new[] { "h_in", "W" }, "mm", "refine_matmul");
        body.Node("Add", new[] { "mm", "bias" }, "pre", "refine_bias");
        body.Node("Tanh", new[] { "pre" }, "h_out", "refine_tanh");
        body.Node("Identity", new[] { "cond_in" }, "cond_out", "keep_going");
        body.Output("cond_out", Bool, System.Array.Empty<int>());
        body.Node("Identity", new[] { "h_out" }, "h_row", "record");
        body.Output("h_out", Float, new[] { 1, 16 });
        body.Output("h_row", Float, new[] { 1, 16 });
        Node(b, "Loop", new[] { "steps", "", "x" }, new[] { "h", "trace" }, "refiner", ("body", body.Graph));

        var classify = new OnnxModelBuilder();
        classify.Graph.Name = "classifier";
        classify.Node("MatMul", new[] { "h", "Wc" }, "c_logits", "classifier_matmul");
        Node(classify, "Softmax", new[] { "c_logits" }, new[] { "c_y" }, "classifier_softmax", ("axis", 1));
        classify.Output("c_y", Float, new[] { 1, 8 });
        var detect = new OnnxModelBuilder();
        detect.Graph.Name = "detector";
        detect.Node("MatMul", new[] { "h", "Wd" }, "d_logits", "detector_matmul");
        detect.Node("Sigmoid", new[] { "d_logits" }, "d_y", "detector_sigmoid");
        detect.Output("d_y", Float, new[] { 1, 8 });
        Node(b, "If", new[] { "use_classifier" }, new[] { "y" }, "head", ("then_branch", classify.Graph), ("else_branch", detect.Graph));
        b.Output("y", Float, new[] { 1, 8 });
        b.Output("trace", Float, new[] { 3, 1, 16 });
        return b.Build();
    }
}
