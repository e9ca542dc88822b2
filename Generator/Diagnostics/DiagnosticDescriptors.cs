namespace ModelCompiler.Diagnostics;

internal enum Severity { Info, Warning, Error }

/// <summary>A diagnostic's fixed part: stable id, title and message format (string.Format, invariant culture).</summary>
internal sealed record DiagnosticDescriptor(string Id, string Title, string MessageFormat, Severity Severity);

/// <summary>
/// Every diagnostic the compiler reports. Ids are stable: users suppress and search for them, so never
/// renumber; add new ones at the end of their range. MC0xxx are model problems, MC9xxx compiler faults.
/// </summary>
internal static class DiagnosticDescriptors
{
    public static readonly DiagnosticDescriptor UnreadableFile = new(
        "MC0001", "Model file cannot be read", "Cannot read the model file: {0}", Severity.Error);

    public static readonly DiagnosticDescriptor MalformedModel = new(
        "MC0002", "Model is not a valid ONNX file", "The file is not a valid ONNX model: {0}", Severity.Error);

    public static readonly DiagnosticDescriptor UnsupportedOperator = new(
        "MC0003", "Unsupported operator",
        "Node '{0}' uses operator '{1}' (domain '{2}', opset {3}), which ModelCompiler does not support{4}", Severity.Error);

    public static readonly DiagnosticDescriptor DynamicShape = new(
        "MC0004", "Dynamic input shape",
        "Input '{0}' has shape {1} with dynamic dimension(s) {2}; pin them with the InputShape metadata, e.g. <AdditionalFiles Include=\"{3}\" InputShape=\"{4}\" />",
        Severity.Error);

    public static readonly DiagnosticDescriptor ExternalData = new(
        "MC0005", "External tensor data cannot be read",
        "Tensor '{0}' keeps its data in an external file ('{1}') that cannot be used: {2}. External data must be a file in the model's folder or below it (ONNX's layout: a location relative to the model, with offset and length); nothing outside that folder is read",
        Severity.Error);

    public static readonly DiagnosticDescriptor InvalidOption = new(
        "MC0006", "Invalid ModelCompiler option", "Invalid value for {0}: {1}", Severity.Error);

    public static readonly DiagnosticDescriptor UnsupportedType = new(
        "MC0007", "Unsupported element type", "{0} has element type {1}, which ModelCompiler cannot handle here{2}", Severity.Error);

    public static readonly DiagnosticDescriptor InvalidNode = new(
        "MC0008", "Invalid node", "Node '{0}' ({1}): {2}", Severity.Error);

    public static readonly DiagnosticDescriptor MissingWeightsResource = new(
        "MC0009", "Weights resource not configured",
        "The ModelCompiler build targets did not run for this model (no ModelCompilerWeightsResource metadata), so its weights cannot be embedded. Reference the ModelCompiler package (or import its build/ModelCompiler.props and .targets)",
        Severity.Error);

    public static readonly DiagnosticDescriptor DuplicateClass = new(
        "MC0010", "Duplicate model class", "Models '{0}' and '{1}' would both generate class '{2}'; give one of them a different ClassName or Namespace", Severity.Error);

    public static readonly DiagnosticDescriptor InvalidGraph = new(
        "MC0011", "Invalid graph", "{0}", Severity.Error);

    /// <summary>MC0009 for Backend="OnnxRuntime": the same missing build step, for the embedded .onnx file.</summary>
    public static readonly DiagnosticDescriptor MissingModelResource = new(
        "MC0009", "Weights resource not configured",
        "The ModelCompiler build targets did not run for this model (no ModelCompilerModelResource metadata), so the .onnx file cannot be embedded for the OnnxRuntime backend. Reference the ModelCompiler.OnnxRuntime package (or import the ModelCompiler package's build/ModelCompiler.props and .targets)",
        Severity.Error);

    public static readonly DiagnosticDescriptor UnknownOutputShape = new(
        "MC0012", "Output shape cannot be determined",
        "Output '{0}' has shape {1}, which neither shape inference nor the model's declared outputs make static{2}. The OnnxRuntime backend needs a static shape for every output: pin the inputs with InputShape, or declare the output's shape in the model",
        Severity.Error);

    public static readonly DiagnosticDescriptor LimitExceeded = new(
        "MC0013", "Model exceeds a compiler limit",
        "{0} (README: What the compiler rejects)", Severity.Error);

    public static readonly DiagnosticDescriptor FixedDimensionOverridden = new(
        "MC1001", "InputShape overrides a fixed dimension",
        "InputShape sets axis {1} of input '{0}' to {3}, but the model declares it as {2}; this is only correct if the graph does not depend on that size",
        Severity.Warning);

    public static readonly DiagnosticDescriptor QdqGroupInFloat = new(
        "MC1002", "Quantized group runs in float",
        "Node '{0}' ({1}) sits between DequantizeLinear and QuantizeLinear but cannot run as an integer kernel: {2}. It runs as written (dequantize, float32 {1}, quantize), which is correct but slower. Expected: {3}",
        Severity.Warning);

    public static readonly DiagnosticDescriptor PrunedModel = new(
        "MC2001", "Pruned model",
        "Pruned model: {0} MACs before pruning, {1} after; weights {2} dense, {3} in the blob; {4} of the convolution and fully connected weights are zeros; {5}; {6}",
        Severity.Info);

    public static readonly DiagnosticDescriptor InternalError = new(
        "MC9999", "ModelCompiler internal error",
        "ModelCompiler failed while compiling this model ({0}: {1}). Please report it with the model attached", Severity.Error);
}

/// <summary>A reported diagnostic: descriptor plus formatted message. Plain strings so it is value-equatable.</summary>
internal sealed record CompilerDiagnostic(string Id, string Title, Severity Severity, string Message)
{
    public static CompilerDiagnostic Create(DiagnosticDescriptor d, params object[] args) =>
        new(d.Id, d.Title, d.Severity, string.Format(System.Globalization.CultureInfo.InvariantCulture, d.MessageFormat, args));

    public override string ToString() => $"{Id}: {Message}";
}
