#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The run-time methods generated code calls, by name ("Class.Method", in namespace <c>ModelCompiler.Runtime</c>):
/// the generator writes calls with these constants rather than with string literals of its own. The generator cannot
/// see the run-time types (it targets netstandard2.0), so the names are written here once; the run-time library,
/// which compiles this same file, checks each against <c>nameof</c> of the member it names (the block at the end: a
/// name that no longer matches is a division by constant zero, a compile error). Types that live in <c>Contract/</c>
/// themselves (<see cref="WeightLayouts"/>, <see cref="ConvGeometry"/>) are named with <c>nameof</c> directly.
/// </summary>
internal static class RuntimeApi
{
    public static class Arena
    {
        public const string ForCurrentThread = "Arena.ForCurrentThread", Slice = "Arena.Slice";
    }

    public static class Guard
    {
        public const string WrongLength = "Guard.WrongLength";
    }

    public static class WeightBlob
    {
        public const string Type = "WeightBlob", Load = "WeightBlob.Load";
    }

    public static class DecodedWeights
    {
        public const string Publish = "DecodedWeights.Publish", Widen = "DecodedWeights.Widen", Dequantize = "DecodedWeights.Dequantize",
            DequantizePacked4 = "DecodedWeights.DequantizePacked4", Unsparse = "DecodedWeights.Unsparse";
    }

    public static class Epilogue
    {
        public const string Type = "Epilogue", Apply = "Epilogue.Apply", None = "Epilogue.None";
    }

    public static class PackedConv
    {
        public const string Conv2D = "PackedConv.Conv2D";
    }

    public static class WinogradConv
    {
        public const string Conv2D = "WinogradConv.Conv2D";
    }

    public static class DepthwiseConv
    {
        public const string Conv2D = "DepthwiseConv.Conv2D";
    }

    public static class PackedGemm
    {
        public const string Multiply = "PackedGemm.Multiply";
    }

    public static class PackedWeightGemm
    {
        public const string Multiply = "PackedWeightGemm.Multiply", Multiply8 = "PackedWeightGemm.Multiply8";
    }

    public static class Gemm
    {
        public const string AddBias = "Gemm.AddBias";
    }

    public static class SparseRows
    {
        public const string Multiply = "SparseRows.Multiply";
    }

    public static class MaxPool2D
    {
        public const string Run = "MaxPool2D.Run";
    }

    /// <summary>LSTM, GRU and RNN layers: weights packed at build time (<c>Run</c>) or graph inputs packed per call (<c>RunUnpacked</c>).</summary>
    public static class Recurrent
    {
        public const string LstmRun = "Lstm.Run", LstmRunUnpacked = "Lstm.RunUnpacked", GruRun = "Gru.Run", GruRunUnpacked = "Gru.RunUnpacked",
            RnnRun = "Rnn.Run", RnnRunUnpacked = "Rnn.RunUnpacked";
    }

    /// <summary>Loop and Scan layers: slices along inner scan axes, and the error for a loop that ran the wrong number of iterations.</summary>
    public static class ScanSlices
    {
        public const string Gather = "ScanSlices.Gather", Scatter = "ScanSlices.Scatter", WrongIterationCount = "ScanSlices.WrongIterationCount";
    }

    /// <summary>One entry point per <see cref="QuantizedConvForm"/> (requantized and int32 forms) and the channels-last table.</summary>
    public static class QuantizedConv
    {
        public const string QLinearConv = "QuantizedConv.QLinearConv", QLinearConvWindowed = "QuantizedConv.QLinearConvWindowed",
            QLinearDepthwise = "QuantizedConv.QLinearDepthwise", QLinearDepthwiseWindowed = "QuantizedConv.QLinearDepthwiseWindowed",
            QLinearDepthwiseChannelsLast = "QuantizedConv.QLinearDepthwiseChannelsLast", DepthwiseChannelsLastTable = "QuantizedConv.DepthwiseChannelsLastTable",
            ConvInteger = "QuantizedConv.ConvInteger", DepthwiseInteger = "QuantizedConv.DepthwiseInteger";
    }
}

#if !MODELCOMPILER_GENERATOR
/// <summary>Each <see cref="RuntimeApi"/> name against the member it names: 1 / 0, a compile error, when one drifts.</summary>
file static class RuntimeApiCheck
{
    private const int Arena = 1 / (RuntimeApi.Arena.ForCurrentThread == nameof(Runtime.Arena) + "." + nameof(Runtime.Arena.ForCurrentThread)
        && RuntimeApi.Arena.Slice == nameof(Runtime.Arena) + "." + nameof(Runtime.Arena.Slice) ? 1 : 0);
    private const int Guard = 1 / (RuntimeApi.Guard.WrongLength == nameof(Runtime.Guard) + "." + nameof(Runtime.Guard.WrongLength) ? 1 : 0);
    private const int WeightBlob = 1 / (RuntimeApi.WeightBlob.Type == nameof(Runtime.WeightBlob)
        && RuntimeApi.WeightBlob.Load == nameof(Runtime.WeightBlob) + "." + nameof(Runtime.WeightBlob.Load) ? 1 : 0);
    private const int DecodedWeights = 1 / (RuntimeApi.DecodedWeights.Publish == nameof(Runtime.DecodedWeights) + "." + nameof(Runtime.DecodedWeights.Publish)
        && RuntimeApi.DecodedWeights.Widen == nameof(Runtime.DecodedWeights) + "." + nameof(Runtime.DecodedWeights.Widen)
        && RuntimeApi.DecodedWeights.Dequantize == nameof(Runtime.DecodedWeights) + "." + nameof(Runtime.DecodedWeights.Dequantize)
        && RuntimeApi.DecodedWeights.DequantizePacked4 == nameof(Runtime.DecodedWeights) + "." + nameof(Runtime.DecodedWeights.DequantizePacked4)
        && RuntimeApi.DecodedWeights.Unsparse == nameof(Runtime.DecodedWeights) + "." + nameof(Runtime.DecodedWeights.Unsparse) ? 1 : 0);
    private const int Epilogue = 1 / (RuntimeApi.Epilogue.Type == nameof(Runtime.Epilogue)
        && RuntimeApi.Epilogue.Apply == nameof(Runtime.Epilogue) + "." + nameof(Runtime.Epilogue.Apply)
        && RuntimeApi.Epilogue.None == nameof(Runtime.Epilogue) + "." + nameof(Runtime.Epilogue.None) ? 1 : 0);
    private const int PackedConv = 1 / (RuntimeApi.PackedConv.Conv2D == nameof(Runtime.PackedConv) + "." + nameof(Runtime.PackedConv.Conv2D) ? 1 : 0);
    private const int WinogradConv = 1 / (RuntimeApi.WinogradConv.Conv2D == nameof(Runtime.WinogradConv) + "." + nameof(Runtime.WinogradConv.Conv2D) ? 1 : 0);
    private const int DepthwiseConv = 1 / (RuntimeApi.DepthwiseConv.Conv2D == nameof(Runtime.DepthwiseConv) + "." + nameof(Runtime.DepthwiseConv.Conv2D) ? 1 : 0);
    private const int PackedGemm = 1 / (RuntimeApi.PackedGemm.Multiply == nameof(Runtime.PackedGemm) + "." + nameof(Runtime.PackedGemm.Multiply) ? 1 : 0);
    private const int PackedWeightGemm = 1 / (RuntimeApi.PackedWeightGemm.Multiply == nameof(Runtime.PackedWeightGemm) + "." + nameof(Runtime.PackedWeightGemm.Multiply)
        && RuntimeApi.PackedWeightGemm.Multiply8 == nameof(Runtime.PackedWeightGemm) + "." + nameof(Runtime.PackedWeightGemm.Multiply8) ? 1 : 0);
    private const int Gemm = 1 / (RuntimeApi.Gemm.AddBias == nameof(Runtime.Gemm) + "." + nameof(Runtime.Gemm.AddBias) ? 1 : 0);
    private const int SparseRows = 1 / (RuntimeApi.SparseRows.Multiply == nameof(Runtime.SparseRows) + "." + nameof(Runtime.SparseRows.Multiply) ? 1 : 0);
    private const int MaxPool2D = 1 / (RuntimeApi.MaxPool2D.Run == nameof(Runtime.MaxPool2D) + "." + nameof(Runtime.MaxPool2D.Run) ? 1 : 0);
    private const int Recurrent = 1 / (RuntimeApi.Recurrent.LstmRun == nameof(Runtime.Lstm) + "." + nameof(Runtime.Lstm.Run)
        && RuntimeApi.Recurrent.LstmRunUnpacked == nameof(Runtime.Lstm) + "." + nameof(Runtime.Lstm.RunUnpacked)
        && RuntimeApi.Recurrent.GruRun == nameof(Runtime.Gru) + "." + nameof(Runtime.Gru.Run)
        && RuntimeApi.Recurrent.GruRunUnpacked == nameof(Runtime.Gru) + "." + nameof(Runtime.Gru.RunUnpacked)
        && RuntimeApi.Recurrent.RnnRun == nameof(Runtime.Rnn) + "." + nameof(Runtime.Rnn.Run)
        && RuntimeApi.Recurrent.RnnRunUnpacked == nameof(Runtime.Rnn) + "." + nameof(Runtime.Rnn.RunUnpacked) ? 1 : 0);
    private const int ScanSlices = 1 / (RuntimeApi.ScanSlices.Gather == nameof(Runtime.ScanSlices) + "." + nameof(Runtime.ScanSlices.Gather)
        && RuntimeApi.ScanSlices.Scatter == nameof(Runtime.ScanSlices) + "." + nameof(Runtime.ScanSlices.Scatter)
        && RuntimeApi.ScanSlices.WrongIterationCount == nameof(Runtime.ScanSlices) + "." + nameof(Runtime.ScanSlices.WrongIterationCount) ? 1 : 0);
    private const int QuantizedConv = 1 / (
        RuntimeApi.QuantizedConv.QLinearConv == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.QLinearConv)
        && RuntimeApi.QuantizedConv.QLinearConvWindowed == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.QLinearConvWindowed)
        && RuntimeApi.QuantizedConv.QLinearDepthwise == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.QLinearDepthwise)
        && RuntimeApi.QuantizedConv.QLinearDepthwiseWindowed == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.QLinearDepthwiseWindowed)
        && RuntimeApi.QuantizedConv.QLinearDepthwiseChannelsLast == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.QLinearDepthwiseChannelsLast)
        && RuntimeApi.QuantizedConv.DepthwiseChannelsLastTable == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.DepthwiseChannelsLastTable)
        && RuntimeApi.QuantizedConv.ConvInteger == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.ConvInteger)
        && RuntimeApi.QuantizedConv.DepthwiseInteger == nameof(Runtime.QuantizedConv) + "." + nameof(Runtime.QuantizedConv.DepthwiseInteger) ? 1 : 0);
}
#endif
