using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX CausalConvWithState (opset 27): a depthwise causal 1-D convolution of input [N, C, L] with weight [C, 1, k],
/// the sequence left-padded by past_state [N, C, k - 1] (zeros when absent), optional bias [C] and a fused SiLU
/// ('silu' or its alias 'swish'); present_state is the last k - 1 positions of the padded sequence.
/// </summary>
internal sealed class CausalConvWithStateOp : OpSchema
{
    public override string OpType => "CausalConvWithState";

    private static bool Silu(OpContext c) => c.Str("activation", "none") switch
    {
        "none" => false,
        "silu" or "swish" => true,
        var other => throw new ModelError($"activation must be 'none', 'silu' or 'swish', not '{other}'"),
    };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        Silu(c);
        int[] x = c.Shape(0), w = c.Shape(1);
        if (x.Length != 3) throw new ModelError($"input must be [N, C, L] but has shape {ShapeText.Format(x)}");
        if (w.Length != 3 || w[0] != x[1] || w[1] != 1 || w[2] < 1)
            throw new ModelError($"weight must be [C, 1, k] with C = {x[1]} but has shape {ShapeText.Format(w)}");
        int carry = w[2] - 1;
        if (c.Has(2) && c.In(2).ElementCount != x[1]) throw new ModelError($"bias must have {x[1]} values");
        if (c.Has(3) && !ShapeText.SameShape(c.Shape(3), new[] { x[0], x[1], carry }))
            throw new ModelError($"past_state must be [{x[0]}, {x[1]}, {carry}] but has shape {ShapeText.Format(c.Shape(3))}");
        for (int i = 1; i < 4; i++)
            if (c.Has(i) && c.Type(i) != c.Type(0)) throw new ModelError($"input {i} has type {c.Type(i).OnnxName()}, input 0 has {c.Type(0).OnnxName()}");
        c.SetOutput(0, c.Type(0), x);
        c.SetOutput(1, c.Type(0), new[] { x[0], x[1], carry });
    }

    public override string? WhyNoKernel(OpContext c) => " (CausalConvWithState runs on float32, and on float16 widened to float32)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) is not (DataType.Float or DataType.Float16)) return null;
        bool half = c.Type(0) == DataType.Float16;
        string method = half ? "HalfWidening.CausalConv" : "CausalConv.Run";
        int[] x = c.Shape(0);
        int k = c.Shape(1)[2];
        bool silu = Silu(c);
        // float16: every tensor the call passes is widened into the layer's scratch.
        long widened = Enumerable.Range(0, 4).Where(c.Has).Sum(i => c.In(i).ElementCount) + Enumerable.Range(0, 2).Where(c.HasOutput).Sum(i => c.Node.Output(i)!.ElementCount);
        return new CallKernel(c.Node, w =>
        {
            string bias = w.HasInput(2) ? w.In(2) : "default", past = w.HasInput(3) ? w.In(3) : "default";
            string present = w.HasOutput(1) ? w.Out(1) : "default";
            w.Line($"{RuntimeText.Prefix}{method}({w.In(0)}, {w.In(1)}, {bias}, {past}, {w.Out(0)}, {present}, " +
                $"batch: {x[0]}, channels: {x[1]}, length: {x[2]}, kernel: {k}, silu: {(silu ? "true" : "false")}{(half ? $", {w.Scratch}" : "")});");
        }, (half ? "float16 widened to float32, " : "") + $"kernel {k}{(silu ? ", SiLU" : "")}", (long)x[0] * x[1] * x[2] * k)
        {
            Name = method,
            ScratchBytes = half ? widened * sizeof(float) : 0,
        };
    }
}
