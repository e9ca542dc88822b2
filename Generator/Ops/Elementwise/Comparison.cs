using System.Collections.Generic;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Equal (opset 7: bool/int32/int64; 11+: every numeric type; 19: string, not supported at run time), Less and
/// Greater (7, 9, 13), LessOrEqual and GreaterOrEqual (12, 16). The output is bool; NaN compares false.
/// </summary>
internal sealed class ComparisonOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[]
    {
        new BinaryOp("Equal", (a, _) => a == DataType.Bool ? "BoolEqual" : a.CSharpName() is { } t ? $"Equal<{t}>" : null,
            (a, b) => a == b ? 1 : 0, (a, b) => a == b ? 1 : 0, t => NumericOrBool(t) || t == DataType.String, "a numeric type, bool or string",
            boolOutput: true),
        new BinaryOp("Less", BinaryOp.Generic("Less"), (a, b) => a < b ? 1 : 0, (a, b) => a < b ? 1 : 0, Numeric, NumericText,
            boolOutput: true, foldUInt64: (a, b) => a < b ? 1UL : 0UL),
        new BinaryOp("LessOrEqual", BinaryOp.Generic("LessOrEqual"), (a, b) => a <= b ? 1 : 0, (a, b) => a <= b ? 1 : 0, Numeric, NumericText,
            boolOutput: true, foldUInt64: (a, b) => a <= b ? 1UL : 0UL),
        new BinaryOp("Greater", BinaryOp.Generic("Greater"), (a, b) => a > b ? 1 : 0, (a, b) => a > b ? 1 : 0, Numeric, NumericText,
            boolOutput: true, foldUInt64: (a, b) => a > b ? 1UL : 0UL),
        new BinaryOp("GreaterOrEqual", BinaryOp.Generic("GreaterOrEqual"), (a, b) => a >= b ? 1 : 0, (a, b) => a >= b ? 1 : 0, Numeric, NumericText,
            boolOutput: true, foldUInt64: (a, b) => a >= b ? 1UL : 0UL),
    };
}
