using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX BatchNormalization (opset 7/9/14/15) when BatchNormFolding could not merge it into a Conv or Gemm.
/// X is [N, C, spatial...] (or [N, C]); scale, B, mean and var are [C]. Opset 7's spatial=0 gives them one
/// value per activation ([C, D1, ...]); which form a model uses is read from their size. Inference mode
/// normalizes with the given mean/var. Opset 14's training_mode=1 normalizes with the batch statistics and
/// outputs the updated running mean/var; the training-only outputs before opset 14 are not supported.
/// </summary>
internal sealed class BatchNormalizationOp : OpSchema
{
    public override string OpType => "BatchNormalization";

    private static bool Training(OpContext c) => c.Opset >= 14 && c.Int("training_mode", 0) != 0;

    /// <summary>[batch, channels, spatial] for the kernel: channels are C, or C*D1*...*Dn when the parameters are per activation.</summary>
    private static (int Batch, int Channels, int Spatial) View(OpContext c)
    {
        int[] x = c.Shape(0);
        int batch = x[0], channels = x[1];
        int spatial = (int)ShapeText.Product(x, 2, x.Length);
        long p = ShapeText.Product(c.Shape(1));
        if (p == channels) return (batch, channels, spatial);
        if (p == (long)channels * spatial) return (batch, channels * spatial, 1);
        throw new ModelError($"scale has {p} values but X {ShapeText.Format(x)} has {channels} channels");
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(5);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        int[] x = c.Shape(0);
        if (x.Length < 2) throw new ModelError($"X must be [N, C, ...] but has shape {ShapeText.Format(x)}");
        var (_, channels, _) = View(c);
        for (int i = 1; i <= 4; i++)
            if (ShapeText.Product(c.Shape(i)) != channels)
                throw new ModelError($"input {i} ('{c.In(i).Name}') has {ShapeText.Product(c.Shape(i))} values, expected {channels}");
        c.SetOutput(0, c.Type(0), x);
        for (int i = 1; i < c.OutputCount; i++)
            c.SetOutput(i, c.Type(3), c.Shape(3)); // running (or saved) mean and variance, one per channel
    }

    private static bool ExtraOutputs(OpContext c) => Enumerable.Range(1, System.Math.Max(0, c.OutputCount - 1)).Any(c.HasOutput);

    public override string? WhyNoKernel(OpContext c)
    {
        if (Enumerable.Range(0, 5).Any(i => c.Type(i) != DataType.Float))
            return " (BatchNormalization runs on float32 X, scale, B, mean and var)";
        if (c.Opset < 14 && ExtraOutputs(c))
            return $" (the optional outputs mean, var, saved_mean and saved_var of opset {c.Opset} exist only for training; ModelCompiler runs this BatchNormalization in inference mode, so the model must not ask for them)";
        if (c.Opset >= 14 && !Training(c) && ExtraOutputs(c))
            return " (running_mean and running_var are only produced with training_mode=1)";
        return null;
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        if (WhyNoKernel(c) is not null) return null;
        var (batch, channels, spatial) = View(c);
        float epsilon = c.Float("epsilon", 1e-5f);
        if (Training(c))
        {
            float momentum = c.Float("momentum", 0.9f);
            return new CallKernel(c.Node, w =>
            {
                string runningMean = w.HasOutput(1) ? w.Out(1) : "default";
                string runningVar = w.HasOutput(2) ? w.Out(2) : "default";
                w.Line($"global::ModelCompiler.Runtime.Normalization.BatchNormTraining({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.In(3)}, {w.In(4)}, {w.Out(0)}, {runningMean}, {runningVar},");
                w.Line($"    batch: {batch}, channels: {channels}, spatial: {spatial}, epsilon: {LayerWriter.F(epsilon)}, momentum: {LayerWriter.F(momentum)});");
            }, $"training mode (batch statistics), epsilon {LayerWriter.F(epsilon)}");
        }
        return new CallKernel(c.Node, w =>
            w.Line($"global::ModelCompiler.Runtime.Normalization.BatchNorm({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.In(3)}, {w.In(4)}, {w.Out(0)}, " +
                $"batch: {batch}, channels: {channels}, spatial: {spatial}, epsilon: {LayerWriter.F(epsilon)});"),
            $"epsilon {LayerWriter.F(epsilon)}");
    }
}

/// <summary>ONNX InstanceNormalization (opset 6/22): each (n, c) plane normalized by its own mean and variance, then scale[c] and B[c].</summary>
internal sealed class InstanceNormalizationOp : OpSchema
{
    public override string OpType => "InstanceNormalization";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        int[] x = c.Shape(0);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        for (int i = 1; i <= 2; i++)
            if (ShapeText.Product(c.Shape(i)) != x[1])
                throw new ModelError($"input {i} ('{c.In(i).Name}') has {ShapeText.Product(c.Shape(i))} values, expected {x[1]} (one per channel)");
        c.SetOutput(0, c.Type(0), x);
    }

    public override string? WhyNoKernel(OpContext c) => " (InstanceNormalization runs on float32)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (Enumerable.Range(0, 3).Any(i => c.Type(i) != DataType.Float)) return null;
        int[] x = c.Shape(0);
        int spatial = (int)ShapeText.Product(x, 2, x.Length);
        float epsilon = c.Float("epsilon", 1e-5f);
        return new CallKernel(c.Node, w =>
            w.Line($"global::ModelCompiler.Runtime.Normalization.InstanceNorm({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.Out(0)}, " +
                $"batch: {x[0]}, channels: {x[1]}, spatial: {spatial}, epsilon: {LayerWriter.F(epsilon)});"),
            $"epsilon {LayerWriter.F(epsilon)}");
    }
}

/// <summary>
/// ONNX LRN (opset 1/13): local response normalization across channels,
/// y = x / (bias + alpha / size * sum of squares over size neighbouring channels)^beta.
/// </summary>
internal sealed class LrnOp : OpSchema
{
    public override string OpType => "LRN";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        int[] x = c.Shape(0);
        if (x.Length < 2) throw new ModelError($"the input must be [N, C, ...] but has shape {ShapeText.Format(x)}");
        if (c.Int("size", 0) <= 0) throw new ModelError("size is required and must be positive");
        c.SetOutput(0, c.Type(0), x);
    }

    public override string? WhyNoKernel(OpContext c) => " (LRN runs on float32)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float) return null;
        int[] x = c.Shape(0);
        int spatial = (int)ShapeText.Product(x, 2, x.Length);
        int size = (int)c.Int("size", 1);
        float alpha = c.Float("alpha", 1e-4f), beta = c.Float("beta", 0.75f), bias = c.Float("bias", 1f);
        return new CallKernel(c.Node, w =>
            w.Line($"global::ModelCompiler.Runtime.Normalization.Lrn({w.In(0)}, {w.Out(0)}, batch: {x[0]}, channels: {x[1]}, spatial: {spatial}, " +
                $"size: {size}, alpha: {LayerWriter.F(alpha)}, beta: {LayerWriter.F(beta)}, bias: {LayerWriter.F(bias)});"),
            $"size {size}");
    }
}
