// The lanepolicy extension: starts `lanepolicy lsp` for `.policy` files and
// for the inventory (`lanes.yaml`), whose unsaved edits re-check the policies.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("lanepolicy");
  const command = config.get("path") || "lanepolicy";
  const docsUrl = config.get("docsUrl");
  const serverOptions = { command, args: ["lsp"] };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "lanepolicy" },
      { scheme: "file", pattern: "**/lanes.yaml" },
      { scheme: "file", pattern: "**/lanepolicy.yaml" },
    ],
    initializationOptions: docsUrl ? { docsUrl } : {},
  };
  client = new LanguageClient("lanepolicy", "lanepolicy", serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
