// opencc-js ships its dictionaries as modules without type declarations: each is one string,
// "source replacement" pairs separated by "|".
declare module 'opencc-js/dict/*' {
  const dictionary: string;
  export default dictionary;
}
