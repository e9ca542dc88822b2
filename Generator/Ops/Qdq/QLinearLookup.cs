using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Qdq;

/// <summary>
/// ModelCompiler's own op (domain <c>ai.modelcompiler</c>), created by the QDQ fusion pass, never read from
/// models: Y = Table[X] for an 8-bit X, Table a constant [256] of Y's type indexed from the type's minimum.
/// It runs "DequantizeLinear -> element-wise f -> QuantizeLinear" groups whose table the pass computed by
/// evaluating f on the 256 dequantized inputs and quantizing the results as QuantizeLinear does.
/// </summary>
internal sealed class QLinearLookupOp : OpSchema
{
    public const string DomainName = "ai.modelcompiler";

    public override string OpType => "QLinearLookup";
    public override string Domain => DomainName;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t is DataType.UInt8 or DataType.Int8, "uint8 or int8");
        var table = c.RequireConst(1, "the lookup table");
        if (table.ElementCount != 256) throw new ModelError($"the lookup table has {table.ElementCount} entries instead of 256");
        c.SetOutput(0, table.Type, c.Shape(0));
    }

    public override Kernel? CreateKernel(OpContext c) =>
        new CallKernel(c.Node, w => w.Line($"global::ModelCompiler.Runtime.QuantizedLookup.Apply({w.In(0)}, {w.In(1)}, {w.Out(0)});"),
            "256-entry table: " + c.Str("function", "requantize"));
}
