using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Pooling;

/// <summary>
/// What MaxPool and AveragePool share: X[N, C, spatial...] with a kernel_shape window, strides, pads, auto_pad,
/// dilations and ceil_mode (SpatialGeometry applies the ONNX output-size rules, including "the last window must
/// start inside the input or the left padding" for ceil_mode). 1-, 2- and 3-D pools run.
/// </summary>
internal abstract class PoolOp : OpSchema
{
    protected const int MaxSpatialRank = 3;

    protected abstract bool AcceptsType(DataType t);
    protected abstract string TypesText { get; }

    protected static SpatialGeometry Geometry(OpContext c)
    {
        int[] x = c.Shape(0);
        long[] kernel = c.Ints("kernel_shape") ?? throw new ModelError("kernel_shape is required");
        return SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel.Select(k => ShapeText.CheckedInt(k)).ToArray(), c.Int("ceil_mode", 0) != 0);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, AcceptsType, TypesText);
        int[] x = c.Shape(0);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        var g = Geometry(c);
        var y = new[] { x[0], x[1] }.Concat(g.Output).ToArray();
        c.SetOutput(0, c.Type(0), y);
        InferExtraOutputs(c, y);
    }

    protected virtual void InferExtraOutputs(OpContext c, int[] y) { }

    public override string? WhyNoKernel(OpContext c) =>
        c.Rank(0) - 2 > MaxSpatialRank ? $" ({c.Rank(0) - 2}-D pooling is not supported; 1-D, 2-D and 3-D are)" : null;

    /// <summary>The PoolGeometry constructor call, spatial dims filled from the right.</summary>
    protected static string GeometryArgument(int batch, int channels, SpatialGeometry g, string indent)
    {
        int r = g.Rank;
        int At(int[] a, int i, int fallback) => i - (3 - r) >= 0 ? a[i - (3 - r)] : fallback;
        string Three(string what, int[] a, int fallback) =>
            $"{what}Depth: {At(a, 0, fallback)}, {what}Height: {At(a, 1, fallback)}, {what}Width: {At(a, 2, fallback)}";
        return "new global::ModelCompiler.Runtime.PoolGeometry(\n" +
            $"{indent}batch: {batch}, channels: {channels},\n" +
            $"{indent}{Three("in", g.Input, 1)}, {Three("out", g.Output, 1)},\n" +
            $"{indent}{Three("kernel", g.Kernel, 1)}, {Three("stride", g.Strides, 1)},\n" +
            $"{indent}padFront: {At(g.PadsBegin, 0, 0)}, padTop: {At(g.PadsBegin, 1, 0)}, padLeft: {At(g.PadsBegin, 2, 0)},\n" +
            $"{indent}padBack: {At(g.PadsEnd, 0, 0)}, padBottom: {At(g.PadsEnd, 1, 0)}, padRight: {At(g.PadsEnd, 2, 0)},\n" +
            $"{indent}{Three("dilation", g.Dilations, 1)})";
    }

    protected static void WriteCall(LayerWriter w, string call, string geometry)
    {
        // The geometry spans several lines; the writer indents each line it is given.
        var lines = (call + geometry).Split('\n');
        foreach (var line in lines) w.Line(line);
    }
}

/// <summary>
/// ONNX MaxPool (opset 1/8/10/11/12): the window maximum, padding never counted. Since opset 8 an optional
/// second output gives the argmax as a flat int64 index into the input (N and C included), row-major or,
/// with storage_order 1, column-major over the spatial dims. float, double, float16, int8 and uint8.
/// </summary>
internal sealed class MaxPoolOp : PoolOp
{
    public override string OpType => "MaxPool";

    /// <summary>A maximum commutes with a DequantizeLinear of positive scale (a monotonic map): it runs on the integers.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    protected override bool AcceptsType(DataType t) => t is DataType.Float or DataType.Double or DataType.Float16 or DataType.Int8 or DataType.UInt8;
    protected override string TypesText => "float32, float64, float16, int8 or uint8";

    protected override void InferExtraOutputs(OpContext c, int[] y)
    {
        if (c.OutputCount > 1) c.SetOutput(1, DataType.Int64, y);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        if (x.Length - 2 > MaxSpatialRank) return null;
        var g = Geometry(c);
        string t = c.Type(0).CSharpName()!;
        bool columnMajor = c.Int("storage_order", 0) != 0;
        bool indices = c.HasOutput(1);
        string summary = "max, " + g.Describe() + (indices ? ", with indices" + (columnMajor ? " (column-major)" : "") : "");
        return new CallKernel(c.Node, w =>
        {
            string ind = indices ? w.Out(1) : "default";
            WriteCall(w, $"global::ModelCompiler.Runtime.Pool.MaxPool<{t}>({w.In(0)}, {w.Out(0)}, {ind}, ",
                GeometryArgument(x[0], x[1], g, "    ") + $", columnMajor: {(columnMajor ? "true" : "false")});");
        }, summary);
    }
}

/// <summary>
/// ONNX AveragePool (opset 7/10/11/19): the window mean. count_include_pad (default 0) decides whether padded
/// positions count as zeros; ceil_mode (opset 10) and dilations (opset 19) as for MaxPool. float32.
/// </summary>
internal sealed class AveragePoolOp : PoolOp
{
    public override string OpType => "AveragePool";

    protected override bool AcceptsType(DataType t) => t.IsFloat();
    protected override string TypesText => "a floating-point type";

    public override string? WhyNoKernel(OpContext c) =>
        base.WhyNoKernel(c) ?? (c.Type(0) != DataType.Float ? $" (AveragePool runs on float32, not {c.Type(0).OnnxName()})" : null);

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        if (x.Length - 2 > MaxSpatialRank || c.Type(0) != DataType.Float) return null;
        var g = Geometry(c);
        bool includePad = c.Int("count_include_pad", 0) != 0;
        string summary = "average, " + g.Describe() + (includePad ? ", padding counted" : "");
        return new CallKernel(c.Node, w =>
            WriteCall(w, $"global::ModelCompiler.Runtime.Pool.AveragePool({w.In(0)}, {w.Out(0)}, ",
                GeometryArgument(x[0], x[1], g, "    ") + $", countIncludePad: {(includePad ? "true" : "false")});"),
            summary);
    }
}
