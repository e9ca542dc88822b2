using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>Which way a recurrent layer runs over the sequence (ONNX's <c>direction</c> attribute).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum RnnDirection
{
    /// <summary>First step to last.</summary>
    Forward,
    /// <summary>Last step to first.</summary>
    Reverse,
    /// <summary>Both, forward as direction 0 and reverse as direction 1.</summary>
    Bidirectional,
}

/// <summary>
/// The static sizes of a recurrent layer (LSTM, GRU, RNN) and where its tensors' elements are. ONNX layout 0:
/// X [sequence][batch][input], Y [sequence][directions][batch][hidden], states [directions][batch][hidden];
/// layout 1 (<see cref="BatchFirst"/>): X [batch][sequence][input], Y [batch][sequence][directions][hidden],
/// states [batch][directions][hidden].
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct RecurrentShape
{
    /// <summary>The sizes of a layer; <paramref name="batchFirst"/> is ONNX's layout 1.</summary>
    public RecurrentShape(int sequence, int batch, int input, int hidden, RnnDirection direction, bool batchFirst)
    {
        if (sequence < 0 || batch < 1 || input < 1 || hidden < 1) throw new ArgumentException("A recurrent layer needs a batch, an input and a hidden size of at least 1.");
        Sequence = sequence;
        Batch = batch;
        Input = input;
        Hidden = hidden;
        Direction = direction;
        BatchFirst = batchFirst;
    }

    /// <summary>Time steps.</summary>
    public int Sequence { get; }
    /// <summary>Independent sequences.</summary>
    public int Batch { get; }
    /// <summary>Features per step (X's last dimension).</summary>
    public int Input { get; }
    /// <summary>hidden_size.</summary>
    public int Hidden { get; }
    /// <summary>The direction attribute.</summary>
    public RnnDirection Direction { get; }
    /// <summary>ONNX layout 1: batch before sequence in X, Y and the states.</summary>
    public bool BatchFirst { get; }

    /// <summary>2 when bidirectional, else 1.</summary>
    public int Directions => Direction == RnnDirection.Bidirectional ? 2 : 1;

    /// <summary>Elements of X.</summary>
    public long XLength => (long)Sequence * Batch * Input;
    /// <summary>Elements of Y.</summary>
    public long YLength => (long)Sequence * Directions * Batch * Hidden;
    /// <summary>Elements of a state tensor (initial_h, Y_h, initial_c, Y_c).</summary>
    public long StateLength => (long)Directions * Batch * Hidden;

    /// <summary>Whether direction <paramref name="d"/> walks the sequence backwards.</summary>
    internal bool IsReverse(int d) => Direction == RnnDirection.Reverse || d == 1;

    internal long XOffset(int t, int b) => (BatchFirst ? (long)b * Sequence + t : (long)t * Batch + b) * Input;
    internal long YOffset(int t, int d, int b) => (BatchFirst ? ((long)b * Sequence + t) * Directions + d : ((long)t * Directions + d) * Batch + b) * Hidden;
    internal long StateOffset(int d, int b) => (BatchFirst ? (long)b * Directions + d : (long)d * Batch + b) * Hidden;
}
