using System.Collections.Generic;
using ModelCompiler.Ops.Activations;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>And, Or, Xor (opset 7: bool with broadcasting) and Not (bool).</summary>
internal sealed class LogicalOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new OpSchema[]
    {
        new BinaryOp("And", (_, _) => "And", null, (a, b) => a != 0 && b != 0 ? 1 : 0, Bool, BoolText, boolOutput: true),
        new BinaryOp("Or", (_, _) => "Or", null, (a, b) => a != 0 || b != 0 ? 1 : 0, Bool, BoolText, boolOutput: true),
        new BinaryOp("Xor", (_, _) => "Xor", null, (a, b) => (a != 0) != (b != 0) ? 1 : 0, Bool, BoolText, boolOutput: true),
        new UnaryOp("Not", Runtime + "Logical.Not", null, types: Bool, typesText: BoolText, foldInt: (_, x) => x == 0 ? 1 : 0, generic: false),
    };
}
