#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The packed weights of one recurrent layer (LSTM, GRU, RNN) as the run-time kernels read them. The generator
/// packs constant weights with it at build time into the weight blob; the runtime packs weights that arrive at run
/// time with the same code (see Contract/README.md).
/// <para>
/// Per direction, in floats, every part a multiple of <see cref="Lanes"/> (so 64-byte alignment carries through):
/// </para>
/// <list type="number">
/// <item>the gate matrix, <c>input + hidden</c> rows of <c>gates * Hp</c> columns: rows 0..input-1 are W transposed,
/// rows input.. are R transposed, so that one row is what a single input or state element contributes to every
/// gate; gate g fills columns g*Hp .. g*Hp+hidden-1 (ONNX gate order: LSTM iofc, GRU zrh, RNN i), zero above,
/// where Hp is hidden rounded up to <see cref="Lanes"/>;</item>
/// <item>the bias, <c>gates * Hp</c>: Wb + Rb per gate, except GRU with linear_before_reset, whose h gate holds Wbh only;</item>
/// <item>extras, <see cref="ExtraVectors"/> * Hp: LSTM peepholes (Pi, Po, Pf), GRU Rbh (used with linear_before_reset).</item>
/// </list>
/// </summary>
internal static class RecurrentLayout
{
    /// <summary>Each gate's columns are padded to whole blocks of this many floats (one AVX-512 vector).</summary>
    public const int Lanes = 16;

    /// <summary>hidden rounded up to <see cref="Lanes"/>.</summary>
    public static int PaddedHidden(int hidden) => (hidden + Lanes - 1) / Lanes * Lanes;

    /// <summary>Hp-long vectors after the bias: LSTM 3 (peepholes), GRU 1 (Rbh), RNN none.</summary>
    public static int ExtraVectors(int gates) => gates == 4 ? 3 : gates == 3 ? 1 : 0;

    /// <summary>Floats of one direction's block.</summary>
    public static long DirectionLength(int gates, int input, int hidden)
    {
        long columns = (long)gates * PaddedHidden(hidden);
        return (input + hidden + 1) * columns + ExtraVectors(gates) * (long)PaddedHidden(hidden);
    }

    /// <summary>Floats of all directions' blocks.</summary>
    public static long Length(int gates, int directions, int input, int hidden) => directions * DirectionLength(gates, input, hidden);

    /// <summary>
    /// Bytes of working memory one layer call needs (the memory plan reserves them per layer): the input projection
    /// of every time step (<c>sequence * batch</c> rows of <c>gates * Hp</c>), the current step's gate inputs and the
    /// state h, the LSTM cell and one temporary (Hp each), all in floats; then, when the weights are graph inputs
    /// packed on each call (<paramref name="packedAtRunTime"/>), room for <see cref="Length"/> floats of packed weights.
    /// </summary>
    public static long ScratchBytes(int gates, int directions, int sequence, int batch, int input, int hidden, bool packedAtRunTime) =>
        StepScratchBytes(gates, sequence, batch, hidden) + (packedAtRunTime ? PackedScratchBytes(gates, directions, input, hidden) : 0);

    /// <summary>The part of <see cref="ScratchBytes"/> every call uses, at its start.</summary>
    public static long StepScratchBytes(int gates, int sequence, int batch, int hidden)
    {
        long hp = PaddedHidden(hidden);
        return RoundUp(((long)sequence * batch * gates * hp + (gates + 3) * hp) * sizeof(float));
    }

    /// <summary>The packed weights' part of <see cref="ScratchBytes"/>, after <see cref="StepScratchBytes"/>.</summary>
    public static long PackedScratchBytes(int gates, int directions, int input, int hidden) =>
        RoundUp(Length(gates, directions, input, hidden) * sizeof(float));

    private static long RoundUp(long bytes) => (bytes + 63) / 64 * 64;

    /// <summary>
    /// Writes the packed layout of every direction to <paramref name="packed"/> (<see cref="Length"/> floats; all of
    /// it is written, padding included). <paramref name="w"/> is ONNX's W [directions][gates*hidden][input],
    /// <paramref name="r"/> its R [directions][gates*hidden][hidden], <paramref name="b"/> its B
    /// [directions][2*gates*hidden] or null, <paramref name="p"/> the LSTM peepholes [directions][3*hidden] or null.
    /// </summary>
    public static unsafe void Pack(int gates, int directions, int input, int hidden, bool linearBeforeReset,
        float* w, float* r, float* b, float* p, float* packed)
    {
        int hp = PaddedHidden(hidden), columns = gates * hp;
        long block = DirectionLength(gates, input, hidden);
        for (long i = 0; i < directions * block; i++) packed[i] = 0;
        for (int d = 0; d < directions; d++)
        {
            float* m = packed + d * block;
            float* bias = m + (long)(input + hidden) * columns;
            float* extra = bias + columns;
            float* wd = w + (long)d * gates * hidden * input;
            float* rd = r + (long)d * gates * hidden * hidden;
            for (int g = 0; g < gates; g++)
                for (int j = 0; j < hidden; j++)
                {
                    int row = g * hidden + j, column = g * hp + j;
                    for (int k = 0; k < input; k++) m[(long)k * columns + column] = wd[(long)row * input + k];
                    for (int k = 0; k < hidden; k++) m[(long)(input + k) * columns + column] = rd[(long)row * hidden + k];
                }
            if (b != null)
            {
                float* bd = b + (long)d * 2 * gates * hidden;
                for (int g = 0; g < gates; g++)
                    for (int j = 0; j < hidden; j++)
                    {
                        float wb = bd[g * hidden + j], rb = bd[(gates + g) * hidden + j];
                        bool separateRecurrentBias = gates == 3 && g == 2 && linearBeforeReset;
                        bias[g * hp + j] = separateRecurrentBias ? wb : wb + rb;
                        if (separateRecurrentBias) extra[j] = rb;
                    }
            }
            if (p != null && gates == 4)
            {
                float* pd = p + (long)d * 3 * hidden;
                for (int q = 0; q < 3; q++)
                    for (int j = 0; j < hidden; j++) extra[q * hp + j] = pd[q * hidden + j];
            }
        }
    }
}
