using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Ml;

/// <summary>ai.onnx.ml Binarizer (version 1): y = x &gt; threshold ? 1 : 0, same type and shape (float, double, int64, int32).</summary>
internal sealed class BinarizerOp : OpSchema
{
    public const string MlDomain = "ai.onnx.ml";

    public override string OpType => "Binarizer";
    public override string Domain => MlDomain;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t is DataType.Float or DataType.Double or DataType.Int64 or DataType.Int32, "float, double, int64 or int32");
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        float threshold = c.Float("threshold", 0f);
        string t = c.Type(0).CSharpName()!;
        // The threshold is a float attribute: for integers x > t is x > floor(t).
        string value = c.Type(0) switch
        {
            DataType.Float => Literals.Float(threshold),
            DataType.Double => Literals.Double(threshold),
            DataType.Int32 => Literals.Int((long)System.Math.Max(int.MinValue, System.Math.Min(int.MaxValue, System.Math.Floor(threshold)))),
            _ => Literals.Long(System.Math.Floor(threshold) is var f && f >= 9.2e18 ? long.MaxValue : f <= -9.2e18 ? long.MinValue : (long)f),
        };
        return new CallKernel(c.Node, w => w.Line($"global::ModelCompiler.Runtime.MlOps.Binarizer<{t}>({w.In(0)}, {w.Out(0)}, threshold: {value});"),
            $"threshold {Literals.Float(threshold)}") { InPlaceInputs = new[] { 0 } };
    }
}
