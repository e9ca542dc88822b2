using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX Conv (opset 1/11): X[N,C,spatial...] * W[M,C/group,k...] + B[M]. Groups cover depthwise
/// convolution (group = C = M). 1-D, 2-D and 3-D run; 1-D is a 2-D convolution of height 1.
/// </summary>
internal sealed class ConvOp : OpSchema
{
    public override string OpType => "Conv";

    /// <summary>Its kernels apply a fused epilogue (activations, a residual Add) as they store.</summary>
    public override OpTraits Traits { get; } = new() { AppliesEpilogue = true };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        // float16 is widened to float32 around the layer by Float16Widening after shape inference.
        c.RequireType(0, t => t is DataType.Float or DataType.Float16, "float32 or float16");
        if (c.Type(1) != c.Type(0)) throw new ModelError($"the weight is {c.Type(1).OnnxName()} but the input {c.Type(0).OnnxName()}");
        int[] x = c.Shape(0), w = c.Shape(1);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        if (w.Length != x.Length) throw new ModelError($"the weight has rank {w.Length} but the input has rank {x.Length}");
        int group = (int)c.Int("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0)
            throw new ModelError($"group {group} does not divide the {x[1]} input and {w[0]} output channels");
        if (w[1] * group != x[1])
            throw new ModelError($"the weight expects {w[1] * group} input channels (group {group}) but the input has {x[1]}");
        if (c.Has(2) && ShapeText.Product(c.Shape(2)) != w[0])
            throw new ModelError($"the bias has {ShapeText.Product(c.Shape(2))} values but there are {w[0]} output channels");
        var kernel = c.Ints("kernel_shape")?.Select(k => (int)k).ToArray() ?? w.Skip(2).ToArray();
        if (!kernel.SequenceEqual(w.Skip(2))) throw new ModelError($"kernel_shape {string.Join("x", kernel)} does not match the weight {ShapeText.Format(w)}");
        var g = SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
        c.SetOutput(0, c.Type(0), new[] { x[0], w[0] }.Concat(g.Output).ToArray());
    }

    public override string? WhyNoKernel(OpContext c) => c.Rank(0) > 5 ? $" ({c.Rank(0) - 2}-D convolution is not supported; 1-D, 2-D and 3-D are)" : null;

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Rank(0) > 5) return null;
        if (c.Rank(0) == 5) return CreateKernel3D(c);
        var shape = ConvShape.From(c);
        return new CallKernel(c.Node, lw =>
        {
            string bias = lw.HasInput(2) ? lw.In(2) : "default";
            Kernels.KernelText.Lines(lw, $"global::ModelCompiler.Runtime.Conv.Conv2D({lw.In(0)}, {lw.In(1)}, {bias}, {lw.Out(0)}, {shape.GeometryLiteral()});");
            EmitUnfusedEpilogue(lw);
        }, shape.Summary, shape.Macs);
    }

    /// <summary>
    /// For the straightforward kernels: applies a fused epilogue (<see cref="Node.Epilogue"/>) as a second pass
    /// over the output, so that fusion never depends on which kernel selection picks.
    /// </summary>
    internal static void EmitUnfusedEpilogue(LayerWriter lw)
    {
        if (lw.Node.Epilogue is not { HasActivationOrResidual: true } e) return;
        string residual = e.ResidualInput >= 0 ? lw.In(e.ResidualInput) : "default";
        lw.Line($"{RuntimeText.Prefix}{Contract.RuntimeApi.Epilogue.Apply}({lw.Out(0)}, {residual}, {EpilogueText.Of(e)});");
    }

    /// <summary>The summary plus what was fused ("Conv + Relu").</summary>
    internal static string WithFusion(OpContext c, string summary) =>
        c.Node.Epilogue is { } e ? (summary.Length > 0 ? summary + " · " : "") + e.Summary : summary;

    private static Kernel CreateKernel3D(OpContext c)
    {
        int[] x = c.Shape(0), w = c.Shape(1), y = c.Node.Output(0)!.Shape!;
        var kernel = w.Skip(2).ToArray();
        var g = SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
        int group = (int)c.Int("group", 1);
        long macs = ShapeText.Product(y) * (x[1] / group) * ShapeText.Product(kernel);
        string Three(string what, int[] a) => $"{what}Depth: {a[0]}, {what}Height: {a[1]}, {what}Width: {a[2]}";
        string summary = (group == x[1] && group == w[0] && group > 1 ? "depthwise, " : group > 1 ? $"group {group}, " : "") + g.Describe();
        return new CallKernel(c.Node, lw =>
        {
            string bias = lw.HasInput(2) ? lw.In(2) : "default";
            EmitConv3D(lw, bias);
            EmitUnfusedEpilogue(lw);
        }, WithFusion(c, summary), macs);

        void EmitConv3D(LayerWriter lw, string bias)
        {
            lw.Line($"global::ModelCompiler.Runtime.Conv.Conv3D({lw.In(0)}, {lw.In(1)}, {bias}, {lw.Out(0)}, new global::ModelCompiler.Runtime.Conv3DGeometry(");
            lw.Line($"    batch: {x[0]}, inChannels: {x[1]}, {Three("in", g.Input)},");
            lw.Line($"    outChannels: {w[0]}, {Three("out", g.Output)}, groups: {group},");
            lw.Line($"    {Three("kernel", kernel)}, {Three("stride", g.Strides)},");
            lw.Line($"    padFront: {g.PadsBegin[0]}, padTop: {g.PadsBegin[1]}, padLeft: {g.PadsBegin[2]},");
            lw.Line($"    {Three("dilation", g.Dilations)}));");
        }
    }
}

/// <summary>
/// A 1-D or 2-D convolution's sizes as the run-time kernels take them (1-D is 2-D with height 1), shared by
/// the straightforward kernel and the SIMD kernel providers.
/// </summary>
internal sealed class ConvShape
{
    public int Batch, InChannels, InHeight, InWidth, OutChannels, OutHeight, OutWidth, Groups;
    public int KernelHeight, KernelWidth, StrideHeight, StrideWidth, PadTop, PadLeft, DilationHeight, DilationWidth;

    /// <summary>Multiply-accumulates per call.</summary>
    public long Macs { get; private set; }

    /// <summary>The layer comment: "depthwise, kernel 3x3, pad 1x1 · Conv + Relu".</summary>
    public string Summary { get; private set; } = "";

    public int ChannelsPerGroup => InChannels / Groups;
    public int OutChannelsPerGroup => OutChannels / Groups;
    public int KPerGroup => ChannelsPerGroup * KernelHeight * KernelWidth;
    public bool IsDepthwise => Groups > 1 && Groups == InChannels && Groups == OutChannels;

    /// <summary>For rank-3 (1-D) and rank-4 (2-D) inputs.</summary>
    public static ConvShape From(OpContext c)
    {
        int[] x = c.Shape(0), w = c.Shape(1), y = c.Node.Output(0)!.Shape!;
        var kernel = w.Skip(2).ToArray();
        var g = SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
        bool is1D = x.Length == 3;
        int At(int[] a, int i, int fallback) => is1D ? (i == 0 ? fallback : a[0]) : a[i];
        int group = (int)c.Int("group", 1);
        var s = new ConvShape
        {
            Batch = x[0], InChannels = x[1], InHeight = is1D ? 1 : x[2], InWidth = x[x.Length - 1],
            OutChannels = w[0], OutHeight = is1D ? 1 : y[2], OutWidth = y[y.Length - 1], Groups = group,
            KernelHeight = At(kernel, 0, 1), KernelWidth = kernel[kernel.Length - 1],
            StrideHeight = At(g.Strides, 0, 1), StrideWidth = g.Strides[g.Rank - 1],
            PadTop = At(g.PadsBegin, 0, 0), PadLeft = g.PadsBegin[g.Rank - 1],
            DilationHeight = At(g.Dilations, 0, 1), DilationWidth = g.Dilations[g.Rank - 1],
            Macs = ShapeText.Product(y) * (x[1] / group) * ShapeText.Product(kernel),
        };
        string summary = (s.IsDepthwise ? "depthwise, " : group > 1 ? $"group {group}, " : "") + g.Describe();
        s.Summary = ConvOp.WithFusion(c, summary);
        return s;
    }

    /// <summary>The run-time kernels' geometry, for the build-time rules of the contract (which variant, how much scratch).</summary>
    public Contract.ConvGeometry Geometry => new(Batch, InChannels, InHeight, InWidth, OutChannels, OutHeight, OutWidth, Groups,
        KernelHeight, KernelWidth, StrideHeight, StrideWidth, PadTop, PadLeft, DilationHeight, DilationWidth);

    /// <summary>A <c>new ConvGeometry(...)</c> expression over four lines, with named arguments.</summary>
    public string GeometryLiteral() =>
        "new global::ModelCompiler.Runtime.ConvGeometry(\n" +
        $"    batch: {Batch}, inChannels: {InChannels}, inHeight: {InHeight}, inWidth: {InWidth},\n" +
        $"    outChannels: {OutChannels}, outHeight: {OutHeight}, outWidth: {OutWidth}, groups: {Groups},\n" +
        $"    kernelHeight: {KernelHeight}, kernelWidth: {KernelWidth},\n" +
        $"    strideHeight: {StrideHeight}, strideWidth: {StrideWidth},\n" +
        $"    padTop: {PadTop}, padLeft: {PadLeft},\n" +
        $"    dilationHeight: {DilationHeight}, dilationWidth: {DilationWidth})";
}
