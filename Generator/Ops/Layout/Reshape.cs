using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Reshape (opset 5+: shape as a constant input; 0 copies the input dim unless allowzero=1; one -1 is
/// inferred). No data moves: the output is the input's memory.
/// </summary>
internal sealed class ReshapeOp : OpSchema
{
    public override string OpType => "Reshape";

    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.Const(0) is not null;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        int[] x = c.Shape(0);
        long[] target = c.Opset < 5
            ? c.Ints("shape") ?? throw new ModelError("the 'shape' attribute is missing")
            : c.RequireConst(1, "the target shape").ToLongs();
        bool allowZero = c.Int("allowzero", 0) != 0;
        c.SetOutput(0, c.Type(0), Resolve(x, target, allowZero));
    }

    public static int[] Resolve(int[] x, long[] target, bool allowZero)
    {
        var shape = new int[target.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == 0 && !allowZero)
            {
                if (i >= x.Length) throw new ModelError($"shape[{i}] = 0 copies input dim {i}, but the input has rank {x.Length}");
                d = x[i];
            }
            if (d == -1)
            {
                if (inferred >= 0) throw new ModelError("the target shape has more than one -1");
                inferred = i;
                continue;
            }
            if (d < 0) throw new ModelError($"invalid target dimension {d}");
            shape[i] = ShapeText.CheckedInt(d);
            known *= d;
        }
        long total = ShapeText.Product(x);
        if (inferred >= 0)
        {
            if (known == 0 || total % known != 0) throw new ModelError($"cannot reshape {ShapeText.Format(x)} ({total} elements) to [{string.Join(",", target)}]");
            shape[inferred] = (int)(total / known);
        }
        else if (known != total) throw new ModelError($"cannot reshape {ShapeText.Format(x)} ({total} elements) to [{string.Join(",", target)}]");
        return shape;
    }

    public override Tensor[] Fold(OpContext c) => new[] { c.Const(0)!.WithShape(c.Node.Output(0)!.Shape!) };

    public override Kernel? CreateKernel(OpContext c) => new AliasKernel(c.Node);
}
