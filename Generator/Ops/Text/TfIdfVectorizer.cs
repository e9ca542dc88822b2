using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Text;

/// <summary>
/// ONNX TfIdfVectorizer (opset 9) on int32/int64 tokens: x [C] or [B, C]; y float [max(ngram_indexes) + 1] or
/// [B, that], the pool's n-grams (lengths min_gram_length..max_gram_length, skips up to max_skip_count) counted and
/// weighted by mode (TF, IDF, TFIDF; weights optional). The pool becomes a trie at build time (<see cref="NgramTrie"/>);
/// <c>TfIdf.Vectorize</c> walks it. String tokens (pool_strings) have no kernel.
/// </summary>
internal sealed class TfIdfVectorizerOp : OpSchema
{
    public override string OpType => "TfIdfVectorizer";

    private static readonly string[] Modes = { "TF", "IDF", "TFIDF" };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        int[] x = c.Shape(0);
        if (x.Length is < 1 or > 2) throw new ModelError($"X must be [C] or [B, C] but has shape {ShapeText.Format(x)}");
        long[] indexes = c.Ints("ngram_indexes") ?? throw new ModelError("TfIdfVectorizer needs the attribute 'ngram_indexes'");
        if (indexes.Length == 0 || indexes.Any(i => i < 0)) throw new ModelError("ngram_indexes must be non-empty and non-negative");
        long min = c.Int("min_gram_length", 0), max = c.Int("max_gram_length", 0), skip = c.Int("max_skip_count", -1);
        if (min < 1 || max < min || skip < 0) throw new ModelError($"need 1 <= min_gram_length ({min}) <= max_gram_length ({max}) and max_skip_count ({skip}) >= 0");
        if (System.Array.IndexOf(Modes, c.Str("mode", "")) < 0) throw new ModelError($"mode must be TF, IDF or TFIDF, not \"{c.Str("mode", "")}\"");
        int size = (int)indexes.Max() + 1;
        var weights = c.Floats("weights");
        if (weights is not null && weights.Length != 0 && weights.Length < size) throw new ModelError($"weights has {weights.Length} entries for {size} outputs");
        c.SetOutput(0, DataType.Float, x.Length == 1 ? new[] { size } : new[] { x[0], size });
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.Type(0) is DataType.Int32 or DataType.Int64 ? null : $" (tokens of type {c.Type(0).OnnxName()}: only int32 and int64 tokens are implemented)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) is not (DataType.Int32 or DataType.Int64)) return null;
        int[] x = c.Shape(0);
        int rows = x.Length == 1 ? 1 : x[0], cols = x[x.Length - 1];
        long[] indexes = c.Ints("ngram_indexes")!;
        int size = (int)indexes.Max() + 1;
        int min = (int)c.Int("min_gram_length", 1), max = (int)c.Int("max_gram_length", 1), skip = (int)c.Int("max_skip_count", 0);
        var trie = NgramTrie.Build(c.Ints("pool_int64s") ?? new long[0], c.Ints("ngram_counts") ?? new long[0], indexes, min, max);
        var tensors = new[]
        {
            Ints(trie.Nodes), Tensor.FromLongs(DataType.Int64, new[] { trie.ChildKeys.Length }, trie.ChildKeys), Ints(trie.ChildNodes),
        };
        float[] weights = c.Floats("weights") ?? new float[0];
        var weightTensor = weights.Length == 0 ? null : Tensor.FromFloats(new[] { weights.Length }, weights);
        int mode = System.Array.IndexOf(Modes, c.Str("mode", ""));
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.TfIdf.Vectorize<{w.T(0)}>({w.In(0)}, {w.Out(0)}, " +
            $"{string.Join(", ", tensors.Select(t => t.ElementCount == 0 ? "default" : w.Weight(t)))}, {(weightTensor is null ? "default" : w.Weight(weightTensor))}, " +
            $"rows: {rows}, cols: {cols}, outputSize: {size}, minGram: {min}, maxGram: {max}, maxSkip: {skip}, mode: {mode});"),
            $"{Modes[mode]}, {min}..{max}-grams, skips up to {skip}, {trie.Nodes.Length / 3 - 1} trie nodes, {size} outputs");
    }

    private static Tensor Ints(int[] values) =>
        Tensor.FromLongs(DataType.Int32, new[] { values.Length }, values.Select(v => (long)v).ToArray());
}
