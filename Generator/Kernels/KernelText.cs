using ModelCompiler.Emit;

namespace ModelCompiler.Kernels;

/// <summary>Small helpers for kernels that write multi-line calls.</summary>
internal static class KernelText
{
    public const string Runtime = Emit.RuntimeText.Prefix;

    /// <summary>Writes text containing '\n' as several lines, each at the layer body's indentation.</summary>
    public static void Lines(LayerWriter w, string text)
    {
        foreach (string line in text.Split('\n')) w.Line(line);
    }

    /// <summary>The layer's fused epilogue expression, or <c>Epilogue.None</c>.</summary>
    public static string Epilogue(LayerWriter w) => EpilogueText.Of(w.Node.Epilogue);

    /// <summary>The span holding the fused residual, or <c>default</c>.</summary>
    public static string Residual(LayerWriter w) =>
        w.Node.Epilogue is { ResidualInput: >= 0 } e ? w.In(e.ResidualInput) : "default";

    /// <summary>
    /// Threads for a layer: the model's Threads option, but only for layers big enough that waking helper
    /// threads (a few microseconds) is small next to the work.
    /// </summary>
    public static int Threads(Ops.OpContext c, long macs, long minimumMacs) => c.Threads > 1 && macs >= minimumMacs ? c.Threads : 1;
}
