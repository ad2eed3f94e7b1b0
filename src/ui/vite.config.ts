import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The dashboard: built from src/ui into dist/ui with relative asset paths (served under any prefix). */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  build: {
    outDir: fileURLToPath(new URL("../../dist/ui", import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
});
