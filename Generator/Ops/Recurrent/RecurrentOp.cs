using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Recurrent;

/// <summary>
/// What ONNX's LSTM, GRU and RNN share: inputs X, W, R, B, sequence_lens, initial_h (LSTM adds initial_c and P),
/// outputs Y, Y_h (LSTM adds Y_c), the attributes in <see cref="RecurrentAttributes"/>, and one kernel,
/// <see cref="RecurrentLayerKernel"/>. Shapes are checked against the spec; layout 1 exists from opset 14.
/// </summary>
internal abstract class RecurrentOp : OpSchema
{
    /// <summary>Gates per unit: LSTM 4 (iofc), GRU 3 (zrh), RNN 1.</summary>
    public abstract int Gates { get; }

    /// <summary>The activation functions a direction uses when the model gives none.</summary>
    public abstract string[] DefaultFunctions { get; }

    /// <summary>The run-time entry for weights packed at build time (<see cref="RuntimeApi.Recurrent"/>).</summary>
    public abstract string PackedEntry { get; }

    /// <summary>The run-time entry for weights that are graph inputs, packed on each call.</summary>
    public abstract string UnpackedEntry { get; }

    /// <summary>Y (every step's hidden state) is optional beside Y_h and Y_c; the kernels skip what is omitted.</summary>
    public override bool FirstOutputOptional => true;

    public const int X = 0, W = 1, R = 2, B = 3, SequenceLens = 4, InitialH = 5, InitialC = 6, P = 7;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        var a = new RecurrentAttributes(c, Gates, DefaultFunctions);
        int d = a.Directions, h = a.Hidden, gh = Gates * h;
        Expect(c, W, new[] { d, gh, a.Input }, "W", "[num_directions, gates * hidden_size, input_size]");
        Expect(c, R, new[] { d, gh, h }, "R", "[num_directions, gates * hidden_size, hidden_size]");
        Expect(c, B, new[] { d, 2 * gh }, "B", "[num_directions, 2 * gates * hidden_size]");
        Expect(c, InitialH, a.StateShape, "initial_h", a.BatchFirst ? "[batch_size, num_directions, hidden_size]" : "[num_directions, batch_size, hidden_size]");
        if (c.Has(SequenceLens))
        {
            c.RequireType(SequenceLens, t => t == DataType.Int32, "int32");
            Expect(c, SequenceLens, new[] { a.Batch }, "sequence_lens", "[batch_size]");
        }
        if (Gates == 4)
        {
            Expect(c, InitialC, a.StateShape, "initial_c", a.BatchFirst ? "[batch_size, num_directions, hidden_size]" : "[num_directions, batch_size, hidden_size]");
            Expect(c, P, new[] { d, 3 * h }, "P", "[num_directions, 3 * hidden_size]");
        }
        for (int i = 1; i < c.InputCount; i++)
            if (i != SequenceLens && c.Has(i) && c.Type(i) != c.Type(0))
                throw new ModelError($"input {i} ('{c.In(i).Name}') is {c.Type(i).OnnxName()} but X is {c.Type(0).OnnxName()}");
        c.SetOutput(0, c.Type(0), a.YShape);
        c.SetOutput(1, c.Type(0), a.StateShape);
        if (Gates == 4) c.SetOutput(2, c.Type(0), a.StateShape);
    }

    private static void Expect(OpContext c, int input, int[] shape, string name, string layout)
    {
        if (!c.Has(input)) return;
        if (!ShapeText.SameShape(c.Shape(input), shape))
            throw new ModelError($"{name} has shape {ShapeText.Format(c.Shape(input))}; this layer needs {ShapeText.Format(shape)} {layout}");
    }

    public override Kernel? CreateKernel(OpContext c) =>
        c.Type(0) == DataType.Float ? new RecurrentLayerKernel(c, this, new RecurrentAttributes(c, Gates, DefaultFunctions)) : null;

    public override string? WhyNoKernel(OpContext c) => $" for {c.Type(0).OnnxName()} tensors (recurrent layers run in float32)";
}

/// <summary>ONNX LSTM.</summary>
internal sealed class LstmOp : RecurrentOp
{
    public override string OpType => "LSTM";
    public override int Gates => 4;
    public override string[] DefaultFunctions => new[] { "Sigmoid", "Tanh", "Tanh" };
    public override string PackedEntry => RuntimeApi.Recurrent.LstmRun;
    public override string UnpackedEntry => RuntimeApi.Recurrent.LstmRunUnpacked;
}

/// <summary>ONNX GRU.</summary>
internal sealed class GruOp : RecurrentOp
{
    public override string OpType => "GRU";
    public override int Gates => 3;
    public override string[] DefaultFunctions => new[] { "Sigmoid", "Tanh" };
    public override string PackedEntry => RuntimeApi.Recurrent.GruRun;
    public override string UnpackedEntry => RuntimeApi.Recurrent.GruRunUnpacked;
}

/// <summary>ONNX RNN, the simple recurrent cell.</summary>
internal sealed class RnnOp : RecurrentOp
{
    public override string OpType => "RNN";
    public override int Gates => 1;
    public override string[] DefaultFunctions => new[] { "Tanh" };
    public override string PackedEntry => RuntimeApi.Recurrent.RnnRun;
    public override string UnpackedEntry => RuntimeApi.Recurrent.RnnRunUnpacked;
}
