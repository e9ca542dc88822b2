using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// The layer that calls the attention kernel, for Attention and FlexAttention alike: <c>Attention.Run</c> on float32,
/// <c>HalfWidening.Attention</c> on float16, the geometry and options written as constructor calls, and the scratch
/// memory the kernel needs (<see cref="AttentionScratch"/>) reserved in the arena by the memory plan.
/// </summary>
internal static class AttentionCall
{
    /// <summary>The static geometry and options of one call (the arguments of AttentionShape and AttentionOptions).</summary>
    internal sealed record Geometry(int Batch, int QHeads, int KvHeads, int QLength, int KvLength, int PastLength, int HeadSize, int ValueHeadSize, bool Packed)
    {
        public int Total => PastLength + KvLength;
        public long Macs => (long)Batch * QHeads * QLength * Total * (HeadSize + ValueHeadSize);
    }

    internal sealed record Options(float Scale, float Softcap, bool Causal, int QkMode, int MaskLength, int[] MaskStrides);

    /// <summary>
    /// The kernel for <paramref name="c"/>'s node: inputs Q, K, V, mask (float at 3 unless <paramref name="boolMask"/>), past key/value (4, 5),
    /// nonpad_kv_seqlen (6), outputs Y, present key/value and qk_matmul_output (0-3), each passed as <c>default</c> when absent.
    /// </summary>
    public static Kernel Create(OpContext c, Geometry g, Options o, bool boolMask, string summary)
    {
        bool half = c.Type(0) == DataType.Float16;
        string method = half ? "HalfWidening.Attention" : "Attention.Run";
        long scratch = AttentionScratch.Bytes(g.Total, g.HeadSize);
        if (half)
        {
            // Every float16 tensor the call passes is widened into scratch (a boolean mask is read as it is).
            long widened = Enumerable.Range(0, 6).Where(i => c.Has(i) && !(i == 3 && boolMask)).Sum(i => c.In(i).ElementCount)
                + Enumerable.Range(0, 4).Where(c.HasOutput).Sum(i => c.Node.Output(i)!.ElementCount);
            scratch = AttentionScratch.HalfBytes(widened, g.Total, g.HeadSize);
        }
        string Flag(bool b) => b ? "true" : "false";
        return new CallKernel(c.Node, w =>
        {
            string In(int i) => w.HasInput(i) ? w.In(i) : "default";
            string Out(int i) => w.HasOutput(i) ? w.Out(i) : "default";
            string mask = boolMask ? "default" : In(3), bools = boolMask ? In(3) : "default";
            w.Line($"{RuntimeText.Prefix}{method}({In(0)}, {In(1)}, {In(2)}, {mask}, {bools}, {In(4)}, {In(5)}, {In(6)},");
            w.Line($"    {Out(0)}, {Out(1)}, {Out(2)}, {Out(3)},");
            w.Line($"    new {RuntimeText.Prefix}AttentionShape(batch: {g.Batch}, qHeads: {g.QHeads}, kvHeads: {g.KvHeads}, qLength: {g.QLength}, kvLength: {g.KvLength}, " +
                $"pastLength: {g.PastLength}, headSize: {g.HeadSize}, valueHeadSize: {g.ValueHeadSize}, packedHeads: {Flag(g.Packed)}),");
            w.Line($"    new {RuntimeText.Prefix}AttentionOptions(scale: {LayerWriter.F(o.Scale)}, softcap: {LayerWriter.F(o.Softcap)}, causal: {Flag(o.Causal)}, qkMode: {o.QkMode}, " +
                $"maskLength: {o.MaskLength}, maskBatchStride: {o.MaskStrides[0]}, maskHeadStride: {o.MaskStrides[1]}, maskRowStride: {o.MaskStrides[2]}),");
            w.Line($"    {w.Scratch});");
        }, (half ? "float16 widened to float32, " : "") + summary, g.Macs)
        {
            Name = method,
            Variant = $"keys transposed in blocks of {AttentionScratch.KeyBlock}, scores and value rows accumulated in registers",
            ScratchBytes = scratch,
        };
    }
}
