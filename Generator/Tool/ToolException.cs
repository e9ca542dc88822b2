using System;

namespace ModelCompiler.Tool;

/// <summary>
/// A problem with what the user asked for (an unreadable model, data of the wrong shape, an option that does not
/// fit the model): printed as one clear message, exit code 1, never a stack trace.
/// </summary>
internal sealed class ToolException : Exception
{
    public ToolException(string message) : base(message) { }
}
