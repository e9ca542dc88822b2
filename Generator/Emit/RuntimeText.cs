namespace ModelCompiler.Emit;

/// <summary>How generated code names the run-time library (<c>ModelCompiler.Runtime</c>).</summary>
internal static class RuntimeText
{
    /// <summary>Prefix of every run-time type in generated code.</summary>
    public const string Prefix = "global::ModelCompiler.Runtime.";
}
