#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The scratch memory one <c>Attention.Run</c> call needs, per key/value head in turn: the keys transposed to
/// [head][keys] with the key count padded to whole <see cref="KeyBlock"/>s, one row of scores, one row of additive
/// bias and one pointer per key to its value row. <c>HalfWidening.Attention</c> needs the float32 copies of its
/// float16 tensors in front of that. The run-time kernel lays its scratch out with these numbers; the generator asks
/// the memory plan for them per layer.
/// </summary>
internal static class AttentionScratch
{
    /// <summary>Keys are processed in blocks of 16 (one AVX-512 vector of scores); padding keys score -inf.</summary>
    public const int KeyBlock = 16;

    /// <summary><paramref name="totalKeys"/> rounded up to a whole number of key blocks.</summary>
    public static int PaddedKeys(int totalKeys) => (totalKeys + KeyBlock - 1) / KeyBlock * KeyBlock;

    /// <summary>Bytes for the transposed keys, the score and bias rows (floats) and the value-row pointers (8 bytes each).</summary>
    public static long Bytes(int totalKeys, int headSize)
    {
        long padded = PaddedKeys(totalKeys);
        return ((long)headSize * padded + 2 * padded) * sizeof(float) + padded * 8;
    }

    /// <summary>Bytes of <paramref name="floats"/> float32 values, rounded up to 64 so what follows stays aligned.</summary>
    public static long AlignedFloatBytes(long floats) => (floats * sizeof(float) + 63) / 64 * 64;

    /// <summary>The float16 entry point: <paramref name="widenedFloats"/> float32 copies, then the float32 kernel's scratch.</summary>
    public static long HalfBytes(long widenedFloats, int totalKeys, int headSize) => AlignedFloatBytes(widenedFloats) + Bytes(totalKeys, headSize);
}
