using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Training;

/// <summary>
/// What the ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) share: inputs R (learning rate, a float
/// scalar), T (update count, an int64 scalar), then <see cref="Groups"/> lists of n tensors each (X..., G..., then
/// the optimizer's state lists); outputs X_new... followed by the new state lists. Every tensor of a tuple has
/// the shape of its X (the spec allows broadcasting; tuples of differing shapes are rejected). float32 and float64.
/// R and T may be run-time inputs: the kernel reads them as scalars.
/// </summary>
internal abstract class OptimizerOp : OpSchema
{
    public const string TrainingDomain = "ai.onnx.preview.training";

    public override string Domain => TrainingDomain;

    /// <summary>Input lists after R and T: X, G and the state lists (Adagrad: H; Adam: V, H; Momentum: V).</summary>
    protected abstract int Groups { get; }

    protected int TensorCount(OpContext c) => (c.InputCount - 2) / Groups;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        int extra = c.InputCount - 2;
        if (extra <= 0 || extra % Groups != 0)
            throw new ModelError($"{OpType} takes R, T and {Groups} lists of equal length (X, G and the state), but has {c.InputCount} inputs");
        int n = extra / Groups;
        if (c.OutputCount != n * (Groups - 1))
            throw new ModelError($"{OpType} optimizing {n} tensor(s) has {n * (Groups - 1)} outputs, but the node names {c.OutputCount}");
        c.RequireInputs(c.InputCount);
        for (int i = 0; i < c.OutputCount; i++)
            if (!c.HasOutput(i)) throw new ModelError($"{OpType}'s outputs are all required, but output {i} is unnamed");
        c.RequireType(0, t => t is DataType.Float or DataType.Double, "float32 or float64");
        c.RequireType(1, t => t == DataType.Int64, "int64");
        if (c.In(0).ElementCount != 1 || c.In(1).ElementCount != 1) throw new ModelError("R and T must be scalars");
        for (int k = 0; k < n; k++)
        {
            int x = 2 + k;
            c.RequireType(x, t => t is DataType.Float or DataType.Double, "float32 or float64");
            int[] shape = c.Shape(x);
            for (int group = 1; group < Groups; group++)
            {
                int i = x + group * n;
                if (c.Type(i) != c.Type(x)) throw new ModelError($"input {i} ('{c.In(i).Name}') must have the type of '{c.In(x).Name}'");
                if (!c.Shape(i).SequenceEqual(shape))
                    throw new ModelError($"input {i} ('{c.In(i).Name}') has shape {ShapeText.Format(c.Shape(i))} but '{c.In(x).Name}' has {ShapeText.Format(shape)}");
            }
            c.SetOutput(k, c.Type(x), shape);
            for (int group = 2; group < Groups; group++) c.SetOutput(k + (group - 1) * n, c.Type(x), shape);
        }
    }

    /// <summary>The learning rate and update count as arguments of the run-time call.</summary>
    protected static string RateAndCount(LayerWriter w) => $"r: (double){w.In(0)}[0], t: {w.In(1)}[0]";

    public override Kernel? CreateKernel(OpContext c)
    {
        int n = TensorCount(c);
        long elements = Enumerable.Range(0, n).Sum(k => c.In(2 + k).ElementCount);
        return new CallKernel(c.Node, w =>
        {
            for (int k = 0; k < n; k++) EmitTensor(c, w, k, n);
        }, $"{Summary(c)}, {n} tensor(s) of {elements} elements in all");
    }

    /// <summary>What the layer comment says about the attributes.</summary>
    protected abstract string Summary(OpContext c);

    /// <summary>Writes the call that updates tensor k of n.</summary>
    protected abstract void EmitTensor(OpContext c, LayerWriter w, int k, int n);
}
