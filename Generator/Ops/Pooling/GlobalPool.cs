using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Pooling;

/// <summary>GlobalAveragePool and GlobalMaxPool: X[N, C, spatial...] to Y[N, C, 1, ...], one value per plane.</summary>
internal sealed class GlobalPoolOp : OpSchema
{
    private readonly bool _max;

    public GlobalPoolOp(bool max) => _max = max;

    public override string OpType => _max ? "GlobalMaxPool" : "GlobalAveragePool";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        int[] x = c.Shape(0);
        if (x.Length < 2) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        c.SetOutput(0, c.Type(0), x.Select((d, i) => i < 2 ? d : 1).ToArray());
    }

    public override string? WhyNoKernel(OpContext c) => $" ({OpType} runs on float32{(_max ? ", float64 and float16" : "")}, not {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        int planes = x[0] * x[1];
        int size = (int)ShapeText.Product(x, 2, x.Length);
        if (_max)
        {
            string? t = c.Type(0) is DataType.Float or DataType.Double or DataType.Float16 ? c.Type(0).CSharpName() : null;
            if (t is null) return null;
            return new CallKernel(c.Node, w => w.Line(
                $"global::ModelCompiler.Runtime.Pool.GlobalMaxPool<{t}>({w.In(0)}, {w.Out(0)}, planes: {planes}, size: {size});"),
                $"max over {size} per plane");
        }
        if (c.Type(0) != DataType.Float) return null;
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Pool.GlobalAveragePool({w.In(0)}, {w.Out(0)}, planes: {planes}, size: {size});"),
            $"mean over {size} per plane");
    }
}

/// <summary>Both global pools.</summary>
internal sealed class GlobalPoolOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[] { new GlobalPoolOp(max: false), new GlobalPoolOp(max: true) };
}
