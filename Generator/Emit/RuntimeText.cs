namespace ModelCompiler.Emit;

/// <summary>How generated code names the run-time library (<c>ModelCompiler.Runtime</c>).</summary>
internal static class RuntimeText
{
    /// <summary>
    /// Prefix of every run-time type in generated code, fully qualified so that it is right whatever the user's code
    /// declares; the source generator shortens it to the <c>Runtime__</c> alias in the file it adds (<see cref="NameAliases"/>).
    /// </summary>
    public const string Prefix = "global::ModelCompiler.Runtime.";
}
