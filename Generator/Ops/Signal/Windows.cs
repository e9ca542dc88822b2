using System;
using System.Collections.Generic;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Signal;

/// <summary>
/// ONNX HannWindow, HammingWindow and BlackmanWindow (opset 17): a window of 'size' values (input 0, int32 or
/// int64), periodic (default: N = size) or symmetric (periodic=0: N = size - 1), of type output_datatype
/// (default float32). The size decides the output shape, so it must be a constant; the window is then computed
/// at build time (in double precision) and becomes a weight.
/// </summary>
internal sealed class WindowOp : OpSchema
{
    private readonly string _name;
    private readonly Func<double, double, double> _value; // (n, N) -> w[n]

    private WindowOp(string name, Func<double, double, double> value)
    {
        _name = name;
        _value = value;
    }

    public override string OpType => _name;
    protected override bool HasFolding => true;

    public static IEnumerable<OpSchema> All => new[]
    {
        new WindowOp("HannWindow", (n, N) => Math.Pow(Math.Sin(Math.PI * n / N), 2)),
        new WindowOp("HammingWindow", (n, N) => 25.0 / 46.0 - (1 - 25.0 / 46.0) * Math.Cos(2 * Math.PI * n / N)),
        new WindowOp("BlackmanWindow", (n, N) => 0.42 - 0.5 * Math.Cos(2 * Math.PI * n / N) + 0.08 * Math.Cos(4 * Math.PI * n / N)),
    };

    private static int Size(OpContext c)
    {
        var t = c.RequireConst(0, "the window size, which decides the output shape,");
        if (t.ElementCount != 1) throw new ModelError("the size must be a single value");
        long size = t.GetLong(0);
        if (size < 0) throw new ModelError($"the size must not be negative ({size})");
        return ShapeText.CheckedInt(size);
    }

    internal static DataType OutputType(OpContext c)
    {
        var type = (DataType)c.Int("output_datatype", (long)DataType.Float);
        if (!(type.IsFloat() || type.IsInteger()) || type.CSharpName() is null) throw new ModelError($"output_datatype {(int)type} is not a numeric type ModelCompiler can hold");
        return type;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t is DataType.Int32 or DataType.Int64, "an int32 or int64 size");
        c.SetOutput(0, OutputType(c), new[] { Size(c) });
    }

    public override Tensor[] Fold(OpContext c)
    {
        int size = Size(c);
        double N = c.Int("periodic", 1) != 0 ? size : size - 1;
        var v = new double[size];
        for (int n = 0; n < size; n++) v[n] = _value(n, N);
        return new[] { Tensor.FromDoubles(OutputType(c), new[] { size }, v) };
    }
}

/// <summary>The three window functions.</summary>
internal sealed class WindowOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => WindowOp.All;
}
