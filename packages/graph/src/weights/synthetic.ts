/**
 * (Placeholder: filled in by its owner.)
 * @module
 */
export {};
