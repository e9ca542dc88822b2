using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Qdq;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Binary;

/// <summary>
/// Runs the binary layers (<see cref="BinaryLayerOp"/>) with the XNOR-popcount kernels <c>BinaryLayers.Dense</c> and
/// <c>BinaryLayers.Conv2D</c>: one bit per weight in the blob, activations binarized and packed per call.
/// </summary>
internal sealed class BinaryKernelProvider : IKernelProvider
{
    public int Priority => 200;

    public Kernel? TryCreate(OpContext c)
    {
        var node = c.Node;
        if (node.Domain != QLinearLookupOp.DomainName || node.OpType is not ("BinaryConv" or "BinaryDense")) return null;
        int n = (int)c.Int("channels", 0);
        long k = c.Int("k", 0);
        bool sign3 = c.Int("sign3", 0) != 0;
        bool thresholded = c.Has(5);
        float outValue = c.Float("out_value", 1f);
        int[] y = node.Output(0)!.Shape!;
        string rule = sign3 ? "Sign (0 stays 0)" : c.Has(4) ? "x >= threshold per channel" : "x >= 0";
        string output = thresholded ? $"next binarization folded: +-{LayerWriter.F(outValue)}{(sign3 ? " or 0" : "")}" : "scale * dot + bias";
        string source = c.Str("source", node.OpType);
        long positions = ShapeText.Product(y) / n;
        long macs = positions * n * k;
        if (node.OpType == "BinaryDense")
        {
            int m = (int)(ShapeText.Product(c.Shape(0)) / k);
            return new CallKernel(node, w => w.Line(
                $"global::ModelCompiler.Runtime.BinaryLayers.Dense({w.In(0)}, {w.In(1)}, {Optional(w, 4, "float")}, sign3: {Bool(sign3)}, " +
                $"{(thresholded ? "default, default" : $"{w.In(2)}, {w.In(3)}")}, {Optional(w, 5, "int")}, outValue: {LayerWriter.F(outValue)}, {w.Out(0)}, m: {m}, n: {n}, k: {k});"),
                $"{source} on binary operands (XNOR-popcount), {m}x{k} * {k}x{n}, weights 1 bit each; input {rule}; output {output}", macs);
        }
        int[] x = c.Shape(0);
        var pool = c.Ints("pool_kernel");
        string poolText = "", poolArgument = "";
        if (pool is not null)
        {
            // A MaxPool folded in front (BinaryPoolFolding): x is the pool's input; the convolution's input is the pooled size.
            var ps = c.Ints("pool_strides")!;
            var pd = c.Ints("pool_dilations")!;
            var pp = c.Ints("pool_pads")!;
            var po = c.Ints("pool_output")!;
            poolArgument = $", new global::ModelCompiler.Runtime.BinaryPoolShape({x[2]}, {x[3]}, {pool[0]}, {pool[1]}, {ps[0]}, {ps[1]}, {pd[0]}, {pd[1]}, {pp[0]}, {pp[1]})";
            poolText = $"; MaxPool '{c.Str("pool_name", "")}' ({pool[0]}x{pool[1]}, stride {ps[0]}x{ps[1]}, {x[2]}x{x[3]} -> {po[0]}x{po[1]}) folded into the input packing: " +
                "max then binarize = binarize then OR of the packed bits";
            x = new[] { x[0], x[1], (int)po[0], (int)po[1] };
        }
        var kernel = c.Ints("kernel_shape")!;
        var strides = c.Ints("strides")!;
        var dilations = c.Ints("dilations")!;
        var pads = c.Ints("pads")!;
        string shape = $"new global::ModelCompiler.Runtime.BinaryConvShape({x[0]}, {x[1]}, {x[2]}, {x[3]}, {n}, {y[2]}, {y[3]}, {kernel[0]}, {kernel[1]}, " +
            $"{strides[0]}, {strides[1]}, {dilations[0]}, {dilations[1]}, {pads[0]}, {pads[1]}, {pads[2]}, {pads[3]})";
        return new CallKernel(node, w => w.Line(
            $"global::ModelCompiler.Runtime.BinaryLayers.Conv2D({w.In(0)}, {w.In(1)}, {Optional(w, 4, "float")}, sign3: {Bool(sign3)}, " +
            $"{(thresholded ? "default, default" : $"{w.In(2)}, {w.In(3)}")}, {Optional(w, 5, "int")}, outValue: {LayerWriter.F(outValue)}, {w.Out(0)}, {shape}{poolArgument});"),
            $"{source} on binary operands (XNOR-popcount), kernel {kernel[0]}x{kernel[1]}, stride {strides[0]}x{strides[1]}, pads {Node.Describe(pads)}, " +
            $"{x[1]} -> {n} channels, weights 1 bit each; input {rule}{poolText}; output {output}", macs);
    }

    private static string Optional(LayerWriter w, int i, string type) => w.HasInput(i) ? w.In(i) : $"global::System.ReadOnlySpan<{type}>.Empty";
    private static string Bool(bool b) => b ? "true" : "false";
}
