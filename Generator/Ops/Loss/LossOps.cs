using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Loss;

/// <summary>
/// ONNX NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12, 13; NLL also 22). Input [N, C, d1...],
/// target [N, d1...] of int32/int64 class indices, optional weight [C]; 'reduction' none (loss shaped like the
/// target), sum or mean (a scalar: the weighted sum over the summed weights); a target equal to 'ignore_index'
/// (when given) contributes nothing. SoftmaxCrossEntropyLoss first takes the log-softmax over C and can output it
/// (log_prob, shaped like the input).
/// </summary>
internal sealed class LossOp : OpSchema
{
    private readonly bool _softmax;

    public LossOp(bool softmax) => _softmax = softmax;

    public override string OpType => _softmax ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss";

    private static int Reduction(OpContext c) => c.Str("reduction", "mean") switch
    {
        "none" => 0,
        "sum" => 1,
        "mean" => 2,
        var other => throw new ModelError($"reduction must be 'none', 'sum' or 'mean', not '{other}'"),
    };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat(), FloatText);
        c.RequireType(1, t => t is DataType.Int32 or DataType.Int64, "int32 or int64");
        int[] x = c.Shape(0), target = c.Shape(1);
        if (x.Length < 2) throw new ModelError($"the input must be [N, C, ...] but has shape {ShapeText.Format(x)}");
        int[] expected = new[] { x[0] }.Concat(x.Skip(2)).ToArray();
        if (!ShapeText.SameShape(target, expected))
            throw new ModelError($"the target must have shape {ShapeText.Format(expected)} for an input of {ShapeText.Format(x)}, but has {ShapeText.Format(target)}");
        if (c.Has(2))
        {
            if (c.Type(2) != c.Type(0)) throw new ModelError($"the weight has type {c.Type(2).OnnxName()}, the input has {c.Type(0).OnnxName()}");
            if (c.In(2).ElementCount != x[1] || c.Rank(2) != 1) throw new ModelError($"the weight must be [{x[1]}] but has shape {ShapeText.Format(c.Shape(2))}");
        }
        c.SetOutput(0, c.Type(0), Reduction(c) == 0 ? target : System.Array.Empty<int>());
        if (_softmax) c.SetOutput(1, c.Type(0), x);
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));

    public override Kernel? CreateKernel(OpContext c)
    {
        if (NoRuntimeType(c.Type(0)) is not null) return null;
        int[] x = c.Shape(0);
        int inner = (int)ShapeText.Product(x, 2, x.Length);
        int reduction = Reduction(c);
        bool ignore = c.Node.HasAttribute("ignore_index");
        long ignoreIndex = c.Int("ignore_index", 0);
        string types = $"<{c.Type(0).CSharpName()}, {c.Type(1).CSharpName()}>";
        string[] reductionNames = { "ReductionNone", "ReductionSum", "ReductionMean" };
        string summary = $"{c.Str("reduction", "mean")} over {x[0] * inner} positions of {x[1]} classes{(ignore ? $", ignore_index {ignoreIndex}" : "")}";
        return new CallKernel(c.Node, w =>
        {
            string weight = w.HasInput(2) ? w.In(2) : "default";
            string tail = $"batch: {x[0]}, classes: {x[1]}, inner: {inner}, ignoreIndex: {Literals.Long(ignoreIndex)}, hasIgnoreIndex: {(ignore ? "true" : "false")}, " +
                $"reduction: {Runtime}Losses.{reductionNames[reduction]});";
            if (_softmax)
            {
                string logProb = w.HasOutput(1) ? w.Out(1) : "default";
                w.Line($"{Runtime}Losses.SoftmaxCrossEntropy{types}({w.In(0)}, {w.In(1)}, {weight}, {w.Out(0)}, {logProb},");
            }
            else
            {
                w.Line($"{Runtime}Losses.NegativeLogLikelihood{types}({w.In(0)}, {w.In(1)}, {weight}, {w.Out(0)},");
            }
            w.Line("    " + tail);
        }, summary);
    }
}

/// <summary>The two losses.</summary>
internal sealed class LossOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[] { new LossOp(softmax: false), new LossOp(softmax: true) };
}
